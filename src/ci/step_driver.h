/*
 * The shell script that runs a stage's steps one after the other in one bash:
 * src/ci/step_driver.bash, which says how. The Makefile turns it into this C
 * string (build/gen/step_driver.c), so that it is checked (shellcheck) as the
 * script it is, and no run reads it from disk.
 */
#ifndef CIBOX_CI_STEP_DRIVER_H
#define CIBOX_CI_STEP_DRIVER_H

extern const char step_driver_script[];

#endif
