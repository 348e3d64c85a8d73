# bash completion for cella, the cella management CLI.
#
# Not installed by the build: source it from ~/.bashrc, or copy it to
# /usr/share/bash-completion/completions/cella (see docs/cli.md).
# Verbs and their options come from cella's own --help pages, instance and
# image names from cellad (cella list, cella image list); when cellad cannot
# be reached, names are simply not offered.

# The verbs: the COMMANDS section of `cella --help`.
_cella_verbs() {
	cella --help 2>/dev/null | awk '/^COMMANDS/ { on = 1; next } on && /^$/ { exit } on { print $1 }'
}

# The long and short options on a verb's --help page.
_cella_options() {
	cella "$1" --help 2>/dev/null | grep -oE '^ {4}(-[a-zA-Z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+|-[a-zA-Z]'
}

_cella_instances() {
	cella list 2>/dev/null | awk 'NR > 1 { print $1 }'
}

# Aliases and 12-digit fingerprints.
_cella_images() {
	cella image list 2>/dev/null | awk 'NR > 1 { print $1; n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] != "-") print a[i] }'
}

_cella() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local verb="" sub="" i w args=()

	# The verb is the first word after the global options; the rest are its arguments.
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [ -z "$verb" ]; then
			case "$w" in
			--log | --log-format | --log-level) ((i++)) ;;
			-*) ;;
			*) verb=$w ;;
			esac
		elif [[ "$w" != -* ]]; then
			args+=("$w")
		fi
	done
	COMPREPLY=()
	if [ -z "$verb" ]; then
		if [[ "$cur" == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--help --version --log --log-format --log-level" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$(_cella_verbs)" -- "$cur")
		fi
		return 0
	fi
	case "$prev" in
	--format | -f)
		mapfile -t COMPREPLY < <(compgen -W "text json" -- "$cur")
		return 0
		;;
	--socket)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return 0
		;;
	esac
	if [[ "$cur" == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_cella_options "$verb")" -- "$cur")
		return 0
	fi
	sub=${args[0]:-}
	case "$verb" in
	start | stop | restart | pause | resume | delete | exec | console | info | logs)
		[ ${#args[@]} -eq 0 ] && mapfile -t COMPREPLY < <(compgen -W "$(_cella_instances)" -- "$cur")
		;;
	launch)
		[ ${#args[@]} -eq 0 ] && mapfile -t COMPREPLY < <(compgen -W "default $(_cella_images)" -- "$cur")
		;;
	image)
		case "${#args[@]}:$sub" in
		0:*) mapfile -t COMPREPLY < <(compgen -W "import list delete publish export" -- "$cur") ;;
		1:publish) mapfile -t COMPREPLY < <(compgen -W "$(_cella_instances)" -- "$cur") ;;
		1:export | *:delete) mapfile -t COMPREPLY < <(compgen -W "$(_cella_images)" -- "$cur") ;;
		1:import | 2:export) mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
		esac
		;;
	snapshot)
		case "${#args[@]}" in
		0) mapfile -t COMPREPLY < <(compgen -W "create list restore delete" -- "$cur") ;;
		1) mapfile -t COMPREPLY < <(compgen -W "$(_cella_instances)" -- "$cur") ;;
		esac
		;;
	config)
		case "${#args[@]}:$sub" in
		0:*) mapfile -t COMPREPLY < <(compgen -W "set unset show device" -- "$cur") ;;
		1:device) mapfile -t COMPREPLY < <(compgen -W "add remove list show" -- "$cur") ;;
		1:*) mapfile -t COMPREPLY < <(compgen -W "$(_cella_instances)" -- "$cur") ;;
		2:device) mapfile -t COMPREPLY < <(compgen -W "$(_cella_instances)" -- "$cur") ;;
		4:device) [ "${args[1]}" = add ] && mapfile -t COMPREPLY < <(compgen -W "disk nic" -- "$cur") ;;
		*:device)
			if [ "${args[1]}" = add ]; then
				compopt -o nospace 2>/dev/null
				mapfile -t COMPREPLY < <(compgen -W "source= path= readonly= nictype=bridged parent= hwaddr= name= ipv4.address=" -- "$cur")
			fi
			;;
		*:set)
			compopt -o nospace 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -W "limits.memory= limits.cpu= limits.processes=" -- "$cur")
			;;
		*:unset) mapfile -t COMPREPLY < <(compgen -W "limits.memory limits.cpu limits.processes" -- "$cur") ;;
		esac
		;;
	network)
		[ ${#args[@]} -eq 0 ] && mapfile -t COMPREPLY < <(compgen -W "list" -- "$cur")
		;;
	help)
		[ ${#args[@]} -eq 0 ] && mapfile -t COMPREPLY < <(compgen -W "$(_cella_verbs)" -- "$cur")
		;;
	esac
	return 0
}

complete -F _cella cella
