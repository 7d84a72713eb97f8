# tools/apt.sh - root and apt-get helpers shared by the set-up scripts
# (sourced). SETUP_NAME names the caller in messages.

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo -n "$@"
	else
		echo "${SETUP_NAME:-setup}: needs root (or sudo) for: $*" >&2
		return 1
	fi
}

# Unattended, patient with another apt holding the lock, retrying downloads.
APT_OPTS=(-q -y -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
# shellcheck disable=SC2317  # called indirectly
apt_get() { as_root env DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" "$@"; }
