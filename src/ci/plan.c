#include "ci/plan.h"

#include <stdlib.h>

void plan_free(struct ci_plan *plan)
{
	free(plan->root);
	free(plan->project);
	free(plan->stage);
	free(plan->stage_dir);
	free(plan->config);
	free(plan->config_file);
	free(plan->defaults_file);
	free(plan->config_unboxed);
	envlist_free(&plan->caller);
	envlist_free(&plan->env);
	for (size_t i = 0; i < plan->nsteps; i++) {
		free(plan->steps[i].name);
		free(plan->steps[i].path);
		free(plan->steps[i].log);
	}
	free(plan->steps);
	free(plan->run_dir);
}
