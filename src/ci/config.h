/*
 * Finding a project's stages and configurations, and the environment of a
 * run. Configuration files are bash: bash evaluates them and hands back its
 * exported environment NUL-separated (`env -0`), so cibox never parses shell
 * and any byte in a value survives. The layers, last one winning: the caller's
 * environment, the configuration file, the stage's 00_setup_env.sh (which
 * fills in what is still unset with ${VAR:-default}), then each --set.
 *
 * Errors name the file relative to the project and, where bash gives one,
 * the line; they are configuration errors (-EINVAL) unless noted.
 */
#ifndef CIBOX_CI_CONFIG_H
#define CIBOX_CI_CONFIG_H

#include <cibox/sandbox.h>

#include "ci/plan.h"

/* The project holding the current directory: the nearest folder, upwards,
 * with a ci/ folder. Sets plan->root and plan->project. */
int config_find_project(struct ci_plan *plan, cibox_error *err);

/* Sets plan->stage and plan->stage_dir; an unknown stage names the ones there are. */
int config_find_stage(struct ci_plan *plan, const char *stage, cibox_error *err);

/* Sets plan->config, config_file and defaults_file from NAME or PATH (NULL:
 * the default configuration). */
int config_pick(struct ci_plan *plan, const char *name_or_path, cibox_error *err);

/* Evaluates the configuration over plan->caller into plan->env, then applies
 * each "VAR=VALUE" of sets. It is read in a jail, as config_evaluate says;
 * plan->config_unboxed says why not where the machine cannot make one. */
int config_resolve(struct ci_plan *plan, char *const *sets, size_t nsets, cibox_error *err);

/* The configurations of a stage, sorted: their names ("arm" for
 * 00_setup_env_arm.sh). Free each and the array. */
int config_list(const char *stage_dir, char ***names, size_t *count, cibox_error *err);

/* Evaluates one file alone over `base` into `out`. Configurations are read
 * in a jail (no network, nothing of the host writable); on a machine that
 * cannot make one, *unboxed gets why (the caller frees it) and the file is
 * read without. */
int config_evaluate(const struct ci_plan *plan, const envlist *base, const char *file, envlist *out,
		    char **unboxed, cibox_error *err);

/* path relative to the project root when it lies inside it. */
const char *config_display_path(const struct ci_plan *plan, const char *path);

#endif
