#include "ci/matrix.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "util/error.h"

/* The most jobs one matrix may make: 256 on GitHub, 200 on GitLab. */
#define GITHUB_MAX_JOBS 256
#define GITLAB_MAX_JOBS 200

int matrix_format_parse(const char *name, enum matrix_format *format, cibox_error *err)
{
	if (strcmp(name, "github") == 0)
		*format = MATRIX_GITHUB;
	else if (strcmp(name, "gitlab") == 0)
		*format = MATRIX_GITLAB;
	else
		return error_set(err, -EINVAL, "unknown format '%s' (github or gitlab)", name);
	return 0;
}

/* The code point at s (advancing s), or -1 where s is not UTF-8. */
static int32_t next_code_point(const unsigned char **s)
{
	const unsigned char *p = *s;
	int32_t cp;
	int more;
	if (p[0] < 0x80) {
		*s = p + 1;
		return p[0];
	} else if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		cp = p[0] & 0x1f;
		more = 1;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		cp = p[0] & 0x0f;
		more = 2;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		cp = p[0] & 0x07;
		more = 3;
	} else {
		return -1;
	}
	for (int i = 1; i <= more; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past Unicode are not UTF-8. */
	static const int32_t least[] = { 0, 0x80, 0x800, 0x10000 };
	if (cp < least[more] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return -1;
	*s = p + more + 1;
	return cp;
}

static int check_utf8(const char *what, const char *s, cibox_error *err)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p)
		if (next_code_point(&p) < 0)
			return error_set(err, -EINVAL, "%s is not UTF-8, which YAML cannot carry",
					 what);
	return 0;
}

/*
 * s for the inside of a YAML double-quoted scalar. Characters YAML would read
 * as line breaks or not print (controls, NEL, the Unicode line and paragraph
 * separators, the byte order mark) are escaped, so the value comes back byte
 * for byte. The service's own expansion is disarmed too: on GitLab "$$" is a
 * literal "$" in variables; on GitHub "${{" would open an expression anywhere,
 * so it is written as an expression whose value is "${{". s has passed
 * check_utf8.
 */
static void add_escaped(struct strbuf *sb, enum matrix_format format, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		if (format == MATRIX_GITHUB && strncmp((const char *)p, "${{", 3) == 0) {
			strbuf_addstr(sb, "${{ '${{' }}");
			p += 3;
			continue;
		}
		const unsigned char *start = p;
		int32_t cp = next_code_point(&p);
		if (cp == '"' || cp == '\\')
			strbuf_addf(sb, "\\%c", (char)cp);
		else if (cp == '$' && format == MATRIX_GITLAB)
			strbuf_addstr(sb, "$$");
		else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 ||
			 cp == 0x2029 || cp == 0xfeff)
			strbuf_addf(sb, "\\u%04X", (unsigned)cp);
		else
			strbuf_add(sb, start, (size_t)(p - start));
	}
}

static void add_quoted(struct strbuf *sb, enum matrix_format format, const char *s)
{
	strbuf_addch(sb, '"');
	add_escaped(sb, format, s);
	strbuf_addch(sb, '"');
}

/* text, each line indented by `indent` spaces (empty lines stay empty). */
static void add_block(struct strbuf *sb, int indent, const char *text)
{
	while (*text) {
		size_t n = strcspn(text, "\n");
		if (n)
			strbuf_addf(sb, "%*s%.*s", indent, "", (int)n, text);
		strbuf_addch(sb, '\n');
		text += n + (text[n] == '\n');
	}
}

/*
 * The job's shell code, POSIX sh for any runner's shell. It reads what the
 * file was generated with from the job's environment: CIBOX_JOB_STAGE,
 * CIBOX_JOB_CONFIG, CIBOX_JOB_ENGINE (when fixed), CIBOX_GIT_URL and
 * CIBOX_GIT_REF. A `%s` is where a service's own line goes.
 */

/* cibox on the runner is used as it is, so a self-hosted runner or an image
 * that ships cibox skips the build. */
static const char get_cibox[] =
	"if command -v cibox >/dev/null 2>&1; then\n"
	"  echo \"cibox: using $(command -v cibox), $(cibox --version)\"\n"
	"elif [ -z \"${CIBOX_GIT_URL:-}\" ]; then\n"
	"  echo \"cibox: cibox is not on this runner's PATH: install it there, or generate\" \\\n"
	"    \"this file with cibox matrix --cibox-git URL to build it in the job\" >&2\n"
	"  exit 1\n"
	"else\n"
	"  # Building cibox takes a C compiler, make, git and libseccomp's static library.\n"
	"  if ! command -v cc >/dev/null || ! command -v make >/dev/null ||\n"
	"    ! command -v git >/dev/null || [ ! -e /usr/include/seccomp.h ]; then\n"
	"    sudo=\n"
	"    [ \"$(id -u)\" -eq 0 ] || sudo=\"sudo -n\"\n"
	"    $sudo apt-get update -q\n"
	"    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \\\n"
	"      --no-install-recommends build-essential ca-certificates git libseccomp-dev\n"
	"  fi\n"
	"  src=$(mktemp -d)/cibox\n"
	"  git clone -q \"$CIBOX_GIT_URL\" \"$src\"\n"
	"  git -C \"$src\" checkout -q \"${CIBOX_GIT_REF:-HEAD}\"\n"
	"  make -C \"$src\" -j\"$(nproc)\" build/cibox\n"
	"  %s\n"
	"fi\n";

/* The jail needs unprivileged user namespaces. Ubuntu (GitHub's hosted
 * runners) lets AppArmor strip them of capabilities, which a job with sudo
 * can lift for the machine it has to itself; docker's default seccomp profile
 * (GitLab's docker executor) refuses them outright. Where neither works the
 * steps run on the machine itself, as any job's commands do, and the log
 * says why. */
static const char choose_engine[] =
	"if [ -n \"${CIBOX_JOB_ENGINE:-}\" ]; then\n"
	"  echo \"cibox: engine $CIBOX_JOB_ENGINE, as this file was generated to use\"\n"
	"elif why=$(cibox sandbox --isolate -- true 2>&1); then\n"
	"  CIBOX_JOB_ENGINE=ns\n"
	"  echo \"cibox: engine ns: this machine can make cibox's jail\"\n"
	"elif [ \"$(cat /proc/sys/kernel/apparmor_restrict_unprivileged_userns 2>/dev/null)\" = 1 ] &&\n"
	"  sudo -n sysctl -q -w kernel.apparmor_restrict_unprivileged_userns=0 >/dev/null 2>&1 &&\n"
	"  cibox sandbox --isolate -- true >/dev/null 2>&1; then\n"
	"  CIBOX_JOB_ENGINE=ns\n"
	"  echo \"cibox: engine ns: AppArmor kept user namespaces from the jail; lifted with\" \\\n"
	"    \"sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0\"\n"
	"else\n"
	"  CIBOX_JOB_ENGINE=host\n"
	"  echo \"cibox: engine host: this machine cannot make cibox's jail (${why#cibox: });\" \\\n"
	"    \"the steps run on it directly\"\n"
	"fi\n";

/* Artifact uploaders refuse special files, and the ns engine's tree/ holds
 * the overlay's whiteouts (character devices marking what the steps
 * deleted); what they stood for is lost, the rest of the run folder kept. */
static const char drop_special_files[] =
	"find \"$run\" ! -type d ! -type f ! -type l -exec rm -f {} + || true\n";

/* GitLab takes artifacts from the project's folder only; the run writes
 * outside it, since the ns engine shows the steps the tree as it was checked
 * out, and moves its folder in at the end, whatever the outcome. */
static const char gitlab_run[] =
	"run=$(mktemp -d)/cibox-run\n"
	"status=0\n"
	"cibox run \"$CIBOX_JOB_STAGE\" --env \"$CIBOX_JOB_CONFIG\" --engine \"$CIBOX_JOB_ENGINE\" \\\n"
	"  --out \"$run\" || status=$?\n"
	"if [ -d \"$run\" ]; then\n"
	"  %s"
	"  rm -rf cibox-run\n"
	"  mv \"$run\" cibox-run\n"
	"fi\n"
	"rmdir \"${run%%/*}\"\n"
	"exit \"$status\"\n";

static const char github_keep[] = "run=$RUNNER_TEMP/cibox-run\n"
				  "if [ -d \"$run\" ]; then\n"
				  "  %s"
				  "fi\n";

/* A GitHub artifact name may not hold " : < > | * ? \ / or line breaks; those
 * and '%' become %XX, so that two configurations never share a name. */
static void add_artifact_part(struct strbuf *sb, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || strchr("\":<>|*?\\/%", *p))
			strbuf_addf(sb, "%%%02X", *p);
		else
			strbuf_addch(sb, (char)*p);
}

static void add_script(struct strbuf *sb, int indent, const char *template, const char *line)
{
	struct strbuf text = STRBUF_INIT;
	strbuf_addf(&text, template, line);
	add_block(sb, indent, text.buf);
	strbuf_release(&text);
}

static void add_variables(struct strbuf *sb, const struct matrix_plan *plan, int indent)
{
	const char *names[] = { "CIBOX_JOB_STAGE", "CIBOX_JOB_ENGINE", "CIBOX_GIT_URL",
				"CIBOX_GIT_REF" };
	const char *values[] = { plan->stage, plan->engine, plan->cibox_git, plan->cibox_ref };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (!values[i])
			continue;
		strbuf_addf(sb, "%*s%s: ", indent, "", names[i]);
		add_quoted(sb, plan->format, values[i]);
		strbuf_addch(sb, '\n');
	}
}

static void write_github(const struct matrix_plan *plan, struct strbuf *sb)
{
	strbuf_addstr(sb, "name: ");
	struct strbuf title = STRBUF_INIT;
	strbuf_addf(&title, "cibox %s", plan->stage);
	add_quoted(sb, MATRIX_GITHUB, title.buf);
	strbuf_release(&title);
	strbuf_addstr(sb, "\non: [push, pull_request, workflow_dispatch]\n"
			  "permissions:\n"
			  "  contents: read\n"
			  "jobs:\n"
			  "  cibox:\n"
			  "    name: ");
	strbuf_addch(sb, '"');
	add_escaped(sb, MATRIX_GITHUB, plan->stage);
	strbuf_addstr(sb, " (${{ matrix.config }})\"\n    runs-on: ");
	if (plan->nlabels == 1) {
		add_quoted(sb, MATRIX_GITHUB, plan->labels[0]);
	} else if (plan->nlabels == 0) {
		add_quoted(sb, MATRIX_GITHUB, "ubuntu-latest");
	} else {
		strbuf_addch(sb, '[');
		for (size_t i = 0; i < plan->nlabels; i++) {
			if (i)
				strbuf_addstr(sb, ", ");
			add_quoted(sb, MATRIX_GITHUB, plan->labels[i]);
		}
		strbuf_addch(sb, ']');
	}
	strbuf_addch(sb, '\n');
	if (plan->image) {
		strbuf_addstr(sb, "    container:\n      image: ");
		add_quoted(sb, MATRIX_GITHUB, plan->image);
		strbuf_addch(sb, '\n');
	}
	strbuf_addstr(sb, "    strategy:\n"
			  "      # Every configuration runs to its end, as `cibox run` does each one.\n"
			  "      fail-fast: false\n"
			  "      matrix:\n"
			  "        include:\n");
	for (size_t i = 0; i < plan->nconfigs; i++) {
		strbuf_addstr(sb, "          - config: ");
		add_quoted(sb, MATRIX_GITHUB, plan->configs[i]);
		struct strbuf artifact = STRBUF_INIT;
		strbuf_addstr(&artifact, "cibox-");
		add_artifact_part(&artifact, plan->stage);
		strbuf_addch(&artifact, '-');
		add_artifact_part(&artifact, plan->configs[i]);
		strbuf_addstr(sb, "\n            artifact: ");
		add_quoted(sb, MATRIX_GITHUB, artifact.buf);
		strbuf_addch(sb, '\n');
		strbuf_release(&artifact);
	}
	strbuf_addstr(sb, "    env:\n"
			  "      CIBOX_JOB_CONFIG: ${{ matrix.config }}\n");
	add_variables(sb, plan, 6);
	strbuf_addstr(sb, "    steps:\n"
			  "      - uses: actions/checkout@v4\n"
			  "      - name: Get cibox\n"
			  "        run: |\n");
	add_script(sb, 10, get_cibox, "echo \"$src/build\" >>\"$GITHUB_PATH\"");
	strbuf_addstr(sb, "      - name: Choose the engine\n"
			  "        run: |\n");
	add_block(sb, 10, choose_engine);
	add_block(sb, 10, "echo \"CIBOX_JOB_ENGINE=$CIBOX_JOB_ENGINE\" >>\"$GITHUB_ENV\"\n");
	strbuf_addstr(sb, "      - name: cibox run\n"
			  "        run: |\n");
	add_block(sb, 10,
		  "cibox run \"$CIBOX_JOB_STAGE\" --env \"$CIBOX_JOB_CONFIG\" \\\n"
		  "  --engine \"$CIBOX_JOB_ENGINE\" --out \"$RUNNER_TEMP/cibox-run\"\n");
	strbuf_addstr(sb, "      - name: Keep the run folder\n"
			  "        if: always()\n"
			  "        run: |\n");
	add_script(sb, 10, github_keep, drop_special_files);
	strbuf_addstr(sb, "      # The run folder, junit.xml and summary.json with it, whatever the outcome.\n"
			  "      - uses: actions/upload-artifact@v4\n"
			  "        if: always()\n"
			  "        with:\n"
			  "          name: ${{ matrix.artifact }}\n"
			  "          path: ${{ runner.temp }}/cibox-run\n"
			  "          if-no-files-found: ignore\n");
}

static void write_gitlab(const struct matrix_plan *plan, struct strbuf *sb)
{
	strbuf_addstr(sb, "stages:\n  - ");
	add_quoted(sb, MATRIX_GITLAB, plan->stage);
	/* "cibox STAGE" is no keyword of GitLab's and never a hidden job. */
	struct strbuf job = STRBUF_INIT;
	strbuf_addf(&job, "cibox %s", plan->stage);
	strbuf_addstr(sb, "\n\n");
	add_quoted(sb, MATRIX_GITLAB, job.buf);
	strbuf_release(&job);
	strbuf_addstr(sb, ":\n  stage: ");
	add_quoted(sb, MATRIX_GITLAB, plan->stage);
	strbuf_addch(sb, '\n');
	if (plan->image) {
		strbuf_addstr(sb, "  image: ");
		add_quoted(sb, MATRIX_GITLAB, plan->image);
		strbuf_addch(sb, '\n');
	}
	if (plan->nlabels) {
		strbuf_addstr(sb, "  tags:\n");
		for (size_t i = 0; i < plan->nlabels; i++) {
			strbuf_addstr(sb, "    - ");
			add_quoted(sb, MATRIX_GITLAB, plan->labels[i]);
			strbuf_addch(sb, '\n');
		}
	}
	strbuf_addstr(sb, "  parallel:\n"
			  "    matrix:\n"
			  "      - CIBOX_JOB_CONFIG:\n");
	for (size_t i = 0; i < plan->nconfigs; i++) {
		strbuf_addstr(sb, "          - ");
		add_quoted(sb, MATRIX_GITLAB, plan->configs[i]);
		strbuf_addch(sb, '\n');
	}
	strbuf_addstr(sb, "  variables:\n");
	add_variables(sb, plan, 4);
	strbuf_addstr(sb, "  script:\n    - |\n");
	add_script(sb, 6, get_cibox, "PATH=$src/build:$PATH");
	strbuf_addstr(sb, "    - |\n");
	add_block(sb, 6, choose_engine);
	strbuf_addstr(sb, "    - |\n");
	add_script(sb, 6, gitlab_run, drop_special_files);
	strbuf_addstr(sb, "  artifacts:\n"
			  "    when: always\n"
			  "    paths:\n"
			  "      - cibox-run/\n"
			  "    reports:\n"
			  "      junit: cibox-run/junit.xml\n");
}

int matrix_write(const struct matrix_plan *plan, struct strbuf *out, cibox_error *err)
{
	static const char *const engines[] = { "ns", "host", "podman", "docker" };
	if (plan->nconfigs == 0)
		return error_set(err, -EINVAL, "stage '%s' has no configurations to make jobs of",
				 plan->stage);
	size_t most = plan->format == MATRIX_GITHUB ? GITHUB_MAX_JOBS : GITLAB_MAX_JOBS;
	if (plan->nconfigs > most)
		return error_set(
			err, -EINVAL,
			"stage '%s' has %zu configurations; %s runs at most %zu jobs of one matrix",
			plan->stage, plan->nconfigs,
			plan->format == MATRIX_GITHUB ? "GitHub" : "GitLab", most);
	if (plan->engine) {
		size_t i = 0;
		while (i < sizeof engines / sizeof engines[0] && strcmp(plan->engine, engines[i]) != 0)
			i++;
		if (i == sizeof engines / sizeof engines[0])
			return error_set(err, -EINVAL,
					 "unknown engine '%s' (ns, host, podman or docker)",
					 plan->engine);
	}
	int rc = check_utf8("the stage's name", plan->stage, err);
	for (size_t i = 0; rc == 0 && i < plan->nconfigs; i++)
		rc = check_utf8("a configuration's name", plan->configs[i], err);
	for (size_t i = 0; rc == 0 && i < plan->nlabels; i++)
		rc = check_utf8("--runs-on", plan->labels[i], err);
	if (rc == 0 && plan->image)
		rc = check_utf8("--image", plan->image, err);
	if (rc == 0 && plan->cibox_git)
		rc = check_utf8("--cibox-git", plan->cibox_git, err);
	if (rc == 0 && plan->cibox_ref)
		rc = check_utf8("--cibox-ref", plan->cibox_ref, err);
	if (rc < 0)
		return rc;

	strbuf_addf(out,
		    "# Written by `cibox matrix --format %s` (cibox %s): one job for each\n"
		    "# configuration of the stage, running `cibox run STAGE --env NAME` exactly\n"
		    "# as it runs on a workstation. Generate it again rather than edit it.\n",
		    plan->format == MATRIX_GITHUB ? "github" : "gitlab", CIBOX_VERSION);
	if (plan->format == MATRIX_GITHUB)
		write_github(plan, out);
	else
		write_gitlab(plan, out);
	if (out->oom)
		return error_set(err, -ENOMEM, "out of memory");
	return 0;
}
