# Sourced by the CI scripts: apt_install PACKAGE... installs Debian packages
# (through sudo unless root), its output on stderr.
apt_install() {
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "${0##*/}: installing $* (apt-get)" >&2
    $sudo apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >&2
}
