#!/usr/bin/env bash
# The brokers the destination tests publish to, on 127.0.0.1: RabbitMQ 5672 (guest/guest),
# NATS with JetStream 4222, Redis 6379. Each is probed with its own protocol (a port that
# accepts is not enough: RabbitMQ listens before it can serve, and NATS must have JetStream);
# one that does not answer is installed if missing, started, and waited for, every wait bounded.
# Brokers that already answer are left alone: they may be shared system services.
# Use: `source .ci/brokers.sh && ensure_brokers`, or run it: `bash .ci/brokers.sh`.

# probe_redis / probe_nats / probe_rabbitmq: exit 0 when the broker answers within 3 s.
# (Output is captured, not piped into grep, so they behave the same under `set -euo pipefail`.)
probe_redis() {
  local out
  out=$(timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/6379 && printf "PING\r\n" >&3 && head -c 5 <&3' 2>/dev/null) || return 1
  [[ $out == +PONG* ]]
}

probe_nats() {
  # The server speaks first: one INFO line, which says whether JetStream is on.
  local out
  out=$(timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/4222 && head -n 1 <&3' 2>/dev/null) || return 1
  [[ $out == *'"jetstream":true'* ]]
}

probe_rabbitmq() {
  # After the AMQP 0-9-1 protocol header, a ready broker answers with a method frame (type 1).
  local out
  out=$(timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/5672 && printf "AMQP\x00\x00\x09\x01" >&3 && head -c 1 <&3 | od -An -tx1' 2>/dev/null) || return 1
  [[ $out == *01* ]]
}

# broker_pkg <command> <debian package>: installs the package when the command is missing.
broker_pkg() {
  if ! command -v "$1" >/dev/null 2>&1 && [ ! -x "$1" ]; then
    printf '== installing %s\n' "$2"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  fi
}

# wait_for <name> <probe> <seconds>
wait_for() {
  local name=$1 probe=$2 limit=$3 waited=0
  until "$probe"; do
    if [ "$waited" -ge "$limit" ]; then
      printf '%s did not answer within %s s\n' "$name" "$limit" >&2
      return 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  printf '%s answers\n' "$name"
}

ensure_redis() {
  probe_redis && { echo 'Redis answers'; return 0; }
  broker_pkg redis-server redis-server
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for Redis probe_redis 30
}

ensure_nats() {
  probe_nats && { echo 'NATS JetStream answers'; return 0; }
  broker_pkg /usr/sbin/nats-server nats-server
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  wait_for 'NATS JetStream' probe_nats 30
}

ensure_rabbitmq() {
  probe_rabbitmq && { echo 'RabbitMQ answers'; return 0; }
  broker_pkg rabbitmq-server rabbitmq-server
  # -detached returns at once; the Erlang VM takes a while to open the AMQP listener.
  rabbitmq-server -detached
  wait_for RabbitMQ probe_rabbitmq 120
}

ensure_brokers() {
  ensure_redis && ensure_nats && ensure_rabbitmq
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  ensure_brokers
fi
