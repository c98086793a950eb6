//go:build !linux

package main

import "os"

// terminal is the controlling terminal of `configmat run` while its
// process group is in the terminal's foreground. Only Linux hands the
// terminal to the child; elsewhere the child runs in its own process group
// and signals reach it through run alone.
type terminal struct {
	fd   int
	pgrp int
}

// foregroundTerminal is nil outside Linux.
func foregroundTerminal(*os.File) *terminal { return nil }

func (t *terminal) foreground() bool { return false }
func (t *terminal) give(int) error   { return nil }
func (t *terminal) takeBack() error  { return nil }
