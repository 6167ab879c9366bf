/*
 * Ending a process tree. A supervisor that has made itself a child subreaper
 * (PR_SET_CHILD_SUBREAPER) keeps every process its children start, however
 * they daemonise, among its descendants; this walks /proc for them.
 */
#ifndef CIBOX_UTIL_PROCTREE_H
#define CIBOX_UTIL_PROCTREE_H

#include <signal.h>
#include <sys/types.h>

/* Sends SIGKILL to every descendant of `ancestor`, again and again until a
 * pass finds none left alive (a process can fork until its SIGKILL lands).
 * Returns the number of processes signalled. */
int proctree_kill_descendants(pid_t ancestor);

#endif
