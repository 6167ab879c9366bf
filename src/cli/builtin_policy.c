#include "cli/builtin_policy.h"

#include <stddef.h>

const struct filter_program *builtin_filter_find(enum cibox_mode mode, bool confine_signals)
{
	for (unsigned i = 0; i < builtin_filter_count; i++)
		if (builtin_filters[i].mode == mode &&
		    builtin_filters[i].confine_signals == confine_signals)
			return &builtin_filters[i].program;
	return NULL;
}
