#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of `make check`: run the installed kselftest collection.
cd /kselftest || exit 1
./run_kselftest.sh --collection pcpu_pagecache
