#!/usr/bin/env bash
# A private Postfix instance for the ingest benchmark: accepts mail on a loopback port, queues it as
# Postfix always does (fsync before 250), then discards it. Its own config, queue and log live under one
# throwaway directory; the system instance's configuration is neither read nor changed.
#   bench/postfix-reference.sh start DIR PORT   (as root: postfix runs its daemons as the postfix user)
#   bench/postfix-reference.sh stop DIR
set -euo pipefail
action=$1 dir=$2
etc=$dir/etc
case "$action" in
  start)
    port=$3
    if ! command -v postfix >/dev/null; then
      [ "$(id -u)" -eq 0 ] || { echo "postfix-reference: postfix is not installed (apt-get install postfix)" >&2; exit 1; }
      # "Local only" leaves a usable default main.cf; "No configuration" makes later postfix commands fail silently.
      echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
      echo "postfix postfix/mailname string bench.local" | debconf-set-selections
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null \
        || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null; }
    fi
    [ "$(id -u)" -eq 0 ] || { echo "postfix-reference: starting Postfix needs root" >&2; exit 1; }
    mkdir -p "$etc" "$dir/spool" "$dir/lib"
    # Postfix's daemons run as the postfix user and must reach their queue and data folders (mktemp -d makes 0700).
    chmod 755 "$dir"
    chown postfix "$dir/lib"
    : > "$etc/main.cf"
    cp /etc/postfix/master.cf "$etc/master.cf"
    # No chroot (a chroot needs copies of /etc files in the queue), and no listener on port 25.
    postconf -c "$etc" -F '*/*/chroot = n'
    postconf -c "$etc" -MX smtp/inet
    postconf -c "$etc" -M "$port/inet=$port inet n - n - - smtpd"
    postconf -c "$etc" -e \
      "compatibility_level = 3.6" \
      "queue_directory = $dir/spool" "data_directory = $dir/lib" \
      "syslog_name = postfix-bench" "maillog_file_prefixes = $dir" "maillog_file = $dir/maillog" \
      "inet_interfaces = loopback-only" "inet_protocols = ipv4" \
      "myhostname = bench.local" "mydestination = bench.local" "mynetworks = 127.0.0.0/8" \
      "local_transport = discard:" "default_transport = discard:" "relay_transport = discard:" \
      "local_recipient_maps =" "alias_maps =" "alias_database =" \
      "smtpd_recipient_restrictions = permit_mynetworks, reject" \
      "message_size_limit = 52428800"
    postfix -c "$etc" check || { echo "postfix-reference: postfix check failed; its log:" >&2; tail -n 5 "$dir/maillog" >&2 || true; exit 1; }
    postfix -c "$etc" start || { echo "postfix-reference: postfix start failed; its log:" >&2; tail -n 5 "$dir/maillog" >&2 || true; exit 1; }
    for _ in $(seq 1 50); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then exit 0; fi
      sleep 0.2
    done
    echo "postfix-reference: Postfix did not listen on 127.0.0.1:$port; its log:" >&2
    tail -n 5 "$dir/maillog" >&2 || true
    exit 1
    ;;
  stop)
    postfix -c "$etc" stop >/dev/null 2>&1 || true
    ;;
  *)
    echo "usage: $0 start DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac
