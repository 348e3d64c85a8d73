// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * exec [options] <id> [--process FILE | command args...]: a process in a running
 * container. Without --process the container's own process object is the
 * template (as runc): args replaced, --env appended, --cwd/--user/--cap/--tty applied.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/container.h"
#include "core/util.h"

enum { OPT_PROCESS = 256, OPT_CWD, OPT_CAP, OPT_NNP, OPT_PID_FILE, OPT_CONSOLE, OPT_PRESERVE, OPT_IGNORED };

struct exec_flags {
	const char *process_file, *cwd, *user;
	json_t *env, *caps;
	bool tty, detach, nnp;
};

static int parse_user(json_t *process, const char *text, cella_err_t *err)
{
	json_t *user = json_object_get(process, "user");
	char *end;
	unsigned long uid, gid;

	errno = 0;
	uid = strtoul(text, &end, 10);
	if (errno || end == text || (*end && *end != ':') || uid > UINT32_MAX)
		return cella_error_make(err, EINVAL, "--user: invalid '%s' (UID[:GID], numeric)", text);
	if (!json_is_object(user)) {
		user = json_object();
		json_object_set_new(process, "user", user);
	}
	json_object_set_new(user, "uid", json_integer((json_int_t)uid));
	if (*end == ':') {
		const char *g = end + 1;

		gid = strtoul(g, &end, 10);
		if (errno || end == g || *end || gid > UINT32_MAX)
			return cella_error_make(err, EINVAL, "--user: invalid '%s' (UID[:GID], numeric)",
						text);
		json_object_set_new(user, "gid", json_integer((json_int_t)gid));
	}
	return 0;
}

static void add_caps(json_t *process, json_t *caps)
{
	static const char *const sets[] = {"bounding", "effective", "permitted"};
	json_t *obj = json_object_get(process, "capabilities");

	if (!json_is_object(obj)) {
		obj = json_object();
		json_object_set_new(process, "capabilities", obj);
	}
	for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
		json_t *list = json_object_get(obj, sets[s]);

		if (!json_is_array(list)) {
			list = json_array();
			json_object_set_new(obj, sets[s], list);
		}
		json_array_extend(list, caps);
	}
}

static json_t *build_process(struct cli *cli, const char *id, struct exec_flags *f, int argc, char **argv,
			     cella_err_t *err)
{
	json_t *config = NULL, *process, *env, *args;
	json_error_t jerr;

	if (f->process_file) {
		process = json_load_file(f->process_file, JSON_REJECT_DUPLICATES, &jerr);
		if (process == NULL)
			cella_error_make(err, EINVAL, "--process %s: line %d: %s", f->process_file, jerr.line,
					 jerr.text);
		return process;
	}
	if (cella_container_config(cli->root, id, &config, err) < 0)
		return NULL;
	process = json_deep_copy(json_object_get(config, "process"));
	json_decref(config);
	if (!json_is_object(process)) {
		json_decref(process);
		process = json_object();
	}
	args = json_array();
	for (int i = optind + 1; i < argc; i++)
		json_array_append_new(args, json_string(argv[i]));
	json_object_set_new(process, "args", args);
	json_object_set_new(process, "terminal", json_boolean(f->tty));
	env = json_object_get(process, "env");
	if (!json_is_array(env)) {
		env = json_array();
		json_object_set_new(process, "env", env);
	}
	json_array_extend(env, f->env);
	if (f->cwd)
		json_object_set_new(process, "cwd", json_string(f->cwd));
	if (f->nnp)
		json_object_set_new(process, "noNewPrivileges", json_true());
	if (json_array_size(f->caps))
		add_caps(process, f->caps);
	if (f->user && parse_user(process, f->user, err) < 0) {
		json_decref(process);
		return NULL;
	}
	return process;
}

static int run(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"process", required_argument, NULL, 'p'},
		{"tty", no_argument, NULL, 't'},
		{"detach", no_argument, NULL, 'd'},
		{"env", required_argument, NULL, 'e'},
		{"cwd", required_argument, NULL, OPT_CWD},
		{"user", required_argument, NULL, 'u'},
		{"cap", required_argument, NULL, OPT_CAP},
		{"no-new-privs", no_argument, NULL, OPT_NNP},
		{"pid-file", required_argument, NULL, OPT_PID_FILE},
		{"console-socket", required_argument, NULL, OPT_CONSOLE},
		{"preserve-fds", required_argument, NULL, OPT_PRESERVE},
		{"process-label", required_argument, NULL, OPT_IGNORED},
		{"apparmor", required_argument, NULL, OPT_IGNORED},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct exec_flags f = {.env = json_array(), .caps = json_array()};
	struct cella_exec_opts o = {.root = cli->root};
	cella_err_t err = NULL;
	json_t *process = NULL;
	pid_t pid;
	long n;
	int c, ret = 1;

	while ((c = getopt_long(argc, argv, "+p:tde:u:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			f.process_file = optarg;
			break;
		case 't':
			f.tty = true;
			break;
		case 'd':
			f.detach = true;
			break;
		case 'e':
			if (strchr(optarg, '=') == NULL || optarg[0] == '=') {
				ret = cli_usage_error(cli, &cli_verb_exec, "--env: '%s' is not KEY=VALUE",
						      optarg);
				goto out;
			}
			json_array_append_new(f.env, json_string(optarg));
			break;
		case OPT_CWD:
			f.cwd = optarg;
			break;
		case 'u':
			f.user = optarg;
			break;
		case OPT_CAP:
			json_array_append_new(f.caps, json_string(optarg));
			break;
		case OPT_NNP:
			f.nnp = true;
			break;
		case OPT_PID_FILE:
			o.pid_file = optarg;
			break;
		case OPT_CONSOLE:
			o.console_socket = optarg;
			break;
		case OPT_PRESERVE:
			if (cli_parse_long("--preserve-fds", optarg, 0, 4096, &n, &err) < 0) {
				ret = cli_fail(cli, &err);
				goto out;
			}
			o.preserve_fds = (int)n;
			break;
		case OPT_IGNORED:
			break;
		case 'h':
			printf("usage: cella-runtime %s\n", cli_verb_exec.usage);
			ret = 0;
			goto out;
		default:
			ret = cli_usage_error(cli, &cli_verb_exec, "unknown option '%s'", argv[optind - 1]);
			goto out;
		}
	}
	if (optind >= argc) {
		ret = cli_usage_error(cli, &cli_verb_exec, "missing container id");
		goto out;
	}
	if (!f.process_file && optind + 1 >= argc) {
		/* runc fails this one as an exec ("args must not be empty"), not as usage */
		cli_usage_error(cli, &cli_verb_exec, "missing command (or --process FILE)");
		ret = CLI_EXEC_FAILED;
		goto out;
	}
	o.id = argv[optind];
	ret = cli_seal_self(cli);
	if (ret != 0)
		goto out;
	process = build_process(cli, o.id, &f, argc, argv, &err);
	o.process = process;
	if (process == NULL || cella_container_exec(&o, &pid, &err) < 0 ||
	    (o.pid_file && cella_rt_write_pid_file(o.pid_file, pid, &err) < 0)) {
		/* as runc: a failed exec (not a usage error) exits 255, which no process status
		 * of 0..254 or 128+signal can be confused with */
		cli_fail(cli, &err);
		ret = CLI_EXEC_FAILED;
		goto out;
	}
	ret = f.detach ? 0 : cli_wait_forwarding(pid);
out:
	json_decref(process);
	json_decref(f.env);
	json_decref(f.caps);
	return ret;
}

const struct cli_verb cli_verb_exec = {
	"exec",
	run,
	"exec [--process FILE] [--tty] [--detach] [--env K=V] [--cwd DIR] [--user UID[:GID]] [--cap CAP] "
	"[--no-new-privs] [--pid-file F] [--console-socket S] [--preserve-fds N] <id> [command [args...]]",
};
