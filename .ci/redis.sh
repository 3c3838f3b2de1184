#!/usr/bin/env bash
# A throwaway redis-server on 127.0.0.1 for the test run (the `redis` tests).
#
#   bash .ci/redis.sh start   # install Debian's redis-server if missing, start it, wait for PING
#   bash .ci/redis.sh stop    # stop the server this script started, remove its temp dir
#
# `start` prints one line, `export BACKPLANE_TEST_REDIS_URL=redis://127.0.0.1:PORT/15`,
# so `eval "$(bash .ci/redis.sh start)"` points the tests at it. Port 6379 is
# used when free (the tests' default), else a free port. No persistence, no
# password, loopback only: nothing secret is printed or stored.
set -euo pipefail

STATE_DIR="${BACKPLANE_REDIS_DIR:-${TMPDIR:-/tmp}/backplane-ci-redis}"
PIDFILE="$STATE_DIR/redis.pid"
PORTFILE="$STATE_DIR/port"

log() { echo "redis.sh: $*" >&2; }

ping_port() {  # PONG from 127.0.0.1:$1 within a second?
    if command -v redis-cli >/dev/null 2>&1; then
        [ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null || true)" = "PONG" ]
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'PING\r\n' >&3 && read -r -t 1 reply <&3 \
            && [ "${reply%$'\r'}" = "+PONG" ]) 2>/dev/null
    fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

. "$(dirname "$0")/apt.sh"

install_redis() {
    command -v redis-server >/dev/null 2>&1 || apt_install redis-server
}

start() {
    install_redis
    if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
        log "already running (pid $(cat "$PIDFILE"), port $(cat "$PORTFILE"))"
        echo "export BACKPLANE_TEST_REDIS_URL=redis://127.0.0.1:$(cat "$PORTFILE")/15"
        return 0
    fi
    mkdir -p "$STATE_DIR"
    local port=6379
    if port_in_use "$port"; then
        port="$(free_port)"
    fi
    redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
        --dir "$STATE_DIR" --pidfile "$PIDFILE" --logfile "$STATE_DIR/redis.log" >&2
    echo "$port" >"$PORTFILE"
    for _ in $(seq 1 100); do
        if ping_port "$port"; then
            log "redis-server up on 127.0.0.1:$port"
            echo "export BACKPLANE_TEST_REDIS_URL=redis://127.0.0.1:$port/15"
            return 0
        fi
        sleep 0.1
    done
    log "redis-server did not answer PING on port $port; its log:"
    tail -n 20 "$STATE_DIR/redis.log" >&2 || true
    return 1
}

stop() {
    if [ ! -f "$PIDFILE" ]; then
        log "not running (no pid file)"
        rm -rf "$STATE_DIR"
        return 0
    fi
    local pid
    pid="$(cat "$PIDFILE")"
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -rf "$STATE_DIR"
    log "stopped"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
