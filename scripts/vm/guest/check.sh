#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of `make check`: run the installed kselftest collection, then
# the lane's own checks if it added any (vm.sh GUEST_EXTRA).
cd /kselftest || exit 1
./run_kselftest.sh --collection pcpu_pagecache
if [ -x /guest-extra.sh ]; then
	/guest-extra.sh
fi
