/*
 * The git folders a work tree needs that lie outside it. A linked worktree's
 * .git is a file naming its folder in the main repository's .git
 * (worktrees/NAME), whose commondir names the main .git itself; a submodule's
 * names the superproject's .git/modules/NAME. A jail that shows only the tree
 * would leave git in the steps with "not a git repository"; the engines show
 * these folders at their paths, writes going to the run.
 */
#ifndef CIBOX_CI_GITDIRS_H
#define CIBOX_CI_GITDIRS_H

#include <stddef.h>

#include <cibox/sandbox.h>

/* The folders (absolute, resolved, none inside another or inside `tree`)
 * into *dirs; free each and the array. A tree with a .git folder, or none,
 * needs none. */
int gitdirs_outside(const char *tree, char ***dirs, size_t *count, cibox_error *err);

void gitdirs_free(char **dirs, size_t count);

#endif
