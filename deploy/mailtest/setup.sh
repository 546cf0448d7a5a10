#!/bin/sh
# deploy/mailtest/setup.sh — configure a real Postfix + Dovecot pair on this
# Debian/Ubuntu machine the way an organisation runs them, to try acctflow
# against real mail servers by hand (README, "Real mail servers"). Not run in CI.
#
#   - a private CA (not in any trust store) and a server certificate it signs
#     for mail.acctflow.localhost, 127.0.0.1 and localhost;
#   - Postfix: submission on 587 with STARTTLS required, SASL (Dovecot) required,
#     reject_non_fqdn_helo_hostname, unknown recipients refused with 550;
#     virtual mailboxes for acctflow.localhost and the example resellers' domains,
#     delivered to Dovecot over LMTP, plus-addressing (acct-replies+TOKEN@…);
#   - Dovecot: IMAPS on 993 only, passwords in a passwd-file.
# Both listen on loopback only: run acctflow on the same machine.
#
# Run as root:   sh deploy/mailtest/setup.sh
# Re-running it keeps the CA and the passwords (delete $OUT to start over).
# Everything it writes outside the packages' own files is under $OUT, and the
# settings acctflow needs are printed at the end and kept in $OUT/acctflow.env.
set -eu

OUT=${OUT:-/etc/acctflow-mailtest}
HOST=${HOST:-mail.acctflow.localhost}
DOMAINS=${DOMAINS:-"acctflow.localhost fabrikam.example northwind.example litware.example relecloud.example"}
# Mailboxes: what acctflow reads (workflow inbox, regional support mailboxes),
# where it sends tickets and alerts, and the example resellers' contacts.
READ_BOXES="acct-replies@acctflow.localhost cloud-support-us@acctflow.localhost cloud-support-ca@acctflow.localhost cloud-support-emea@acctflow.localhost cloud-support-apac@acctflow.localhost cloud-support-latam@acctflow.localhost"
OTHER_BOXES="support-desk@acctflow.localhost cloud-ops@acctflow.localhost dana.whitfield@fabrikam.example jane@northwind.example priya.raman@litware.example aisha.bello@relecloud.example"
SMTP_USER=acctflow@acctflow.localhost

[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
umask 022
mkdir -p "$OUT"
chmod 755 "$OUT"

echo "== packages"
export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select Internet Site" | debconf-set-selections
echo "postfix postfix/mailname string $HOST" | debconf-set-selections
apt-get update -q
apt-get install -y -q postfix dovecot-core dovecot-imapd dovecot-lmtpd openssl ca-certificates

echo "== private CA and server certificate"
if [ ! -f "$OUT/ca.crt" ]; then
	openssl req -x509 -newkey rsa:3072 -nodes -days 825 -sha256 \
		-subj "/O=acctflow mail test/CN=acctflow mail test CA" \
		-keyout "$OUT/ca.key" -out "$OUT/ca.crt" 2>/dev/null
	chmod 600 "$OUT/ca.key"
fi
if [ ! -f "$OUT/mail.crt" ]; then
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$HOST" \
		-keyout "$OUT/mail.key" -out "$OUT/mail.csr" 2>/dev/null
	printf 'subjectAltName=DNS:%s,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' "$HOST" >"$OUT/mail.ext"
	openssl x509 -req -in "$OUT/mail.csr" -CA "$OUT/ca.crt" -CAkey "$OUT/ca.key" -CAcreateserial \
		-days 825 -sha256 -extfile "$OUT/mail.ext" -out "$OUT/mail.crt" 2>/dev/null
	chmod 640 "$OUT/mail.key"
	chgrp dovecot "$OUT/mail.key" 2>/dev/null || true
fi
grep -q "[[:space:]]$HOST\$" /etc/hosts || echo "127.0.0.1 $HOST" >>/etc/hosts

echo "== passwords"
newpw() { [ -f "$1" ] || { openssl rand -hex 16 >"$1"; chmod 600 "$1"; }; }
newpw "$OUT/smtp-password"  # acctflow's submission login
newpw "$OUT/imap-password"  # every mailbox acctflow reads
newpw "$OUT/user-password"  # the other mailboxes (you, reading them as a reseller would)

echo "== Dovecot"
getent group vmail >/dev/null || groupadd -g 5000 vmail
getent passwd vmail >/dev/null || useradd -u 5000 -g vmail -d /var/mail/vhosts -s /usr/sbin/nologin vmail
mkdir -p /var/mail/vhosts && chown vmail:vmail /var/mail/vhosts
crypt() { doveadm pw -s SHA512-CRYPT -p "$(cat "$1")"; }
{
	echo "$SMTP_USER:$(crypt "$OUT/smtp-password")"
	for u in $READ_BOXES; do echo "$u:$(crypt "$OUT/imap-password")"; done
	for u in $OTHER_BOXES; do echo "$u:$(crypt "$OUT/user-password")"; done
} >/etc/dovecot/acctflow-users.new
mv /etc/dovecot/acctflow-users.new /etc/dovecot/acctflow-users
chown root:dovecot /etc/dovecot/acctflow-users
chmod 640 /etc/dovecot/acctflow-users
cat >/etc/dovecot/conf.d/99-acctflow.conf <<EOF
# written by acctflow deploy/mailtest/setup.sh
protocols = imap lmtp
listen = 127.0.0.1
log_path = /var/log/dovecot.log
ssl = required
ssl_cert = <$OUT/mail.crt
ssl_key = <$OUT/mail.key
disable_plaintext_auth = yes
auth_mechanisms = plain login
auth_username_format = %Lu
recipient_delimiter = +
mail_location = maildir:/var/mail/vhosts/%d/%n
first_valid_uid = 5000
passdb {
  driver = passwd-file
  args = scheme=SHA512-CRYPT username_format=%Lu /etc/dovecot/acctflow-users
}
userdb {
  driver = static
  args = uid=vmail gid=vmail home=/var/mail/vhosts/%d/%n
}
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    port = 993
    ssl = yes
  }
}
service lmtp {
  unix_listener /var/spool/postfix/private/dovecot-lmtp {
    mode = 0600
    user = postfix
    group = postfix
  }
}
service auth {
  unix_listener /var/spool/postfix/private/auth {
    mode = 0660
    user = postfix
    group = postfix
  }
}
namespace inbox {
  inbox = yes
}
EOF
# The stock 10-auth.conf includes auth-system (PAM); only our passwd-file counts.
sed -i 's/^!include auth-system.conf.ext/#!include auth-system.conf.ext/' /etc/dovecot/conf.d/10-auth.conf

echo "== Postfix"
: >/etc/postfix/acctflow-vmailbox
for u in $SMTP_USER $READ_BOXES $OTHER_BOXES; do echo "$u OK" >>/etc/postfix/acctflow-vmailbox; done
postmap /etc/postfix/acctflow-vmailbox
postconf -e \
	"myhostname = $HOST" \
	"mydestination = localhost" \
	"inet_interfaces = loopback-only" \
	"inet_protocols = ipv4" \
	"virtual_mailbox_domains = $DOMAINS" \
	"virtual_mailbox_maps = hash:/etc/postfix/acctflow-vmailbox" \
	"virtual_transport = lmtp:unix:private/dovecot-lmtp" \
	"recipient_delimiter = +" \
	"smtpd_tls_cert_file = $OUT/mail.crt" \
	"smtpd_tls_key_file = $OUT/mail.key" \
	"smtpd_tls_security_level = may" \
	"smtpd_helo_required = yes" \
	"maillog_file = /var/log/postfix.log" \
	"relayhost =" \
	"default_transport = error:outside mail is not delivered by this test server"
postconf -M submission/inet="submission inet n - y - - smtpd"
postconf -P \
	"submission/inet/syslog_name=postfix/submission" \
	"submission/inet/smtpd_tls_security_level=encrypt" \
	"submission/inet/smtpd_tls_auth_only=yes" \
	"submission/inet/smtpd_sasl_auth_enable=yes" \
	"submission/inet/smtpd_sasl_type=dovecot" \
	"submission/inet/smtpd_sasl_path=private/auth" \
	"submission/inet/smtpd_helo_restrictions=reject_non_fqdn_helo_hostname" \
	"submission/inet/smtpd_client_restrictions=permit_sasl_authenticated,reject" \
	"submission/inet/smtpd_relay_restrictions=permit_sasl_authenticated,reject" \
	"submission/inet/smtpd_recipient_restrictions=reject_unlisted_recipient,permit_sasl_authenticated,reject"

echo "== start"
if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
	systemctl restart dovecot postfix
else
	# Containers without systemd.
	doveadm stop 2>/dev/null || true
	dovecot
	postfix stop 2>/dev/null || true
	postfix start
fi

cat >"$OUT/acctflow.env" <<EOF
# acctflow against the test Postfix/Dovecot: source this file, then run
#   acctflow serve \$ACCTFLOW_MAILTEST_FLAGS
ACCTFLOW_SMTP_PASSWORD_FILE=$OUT/smtp-password
ACCTFLOW_IMAP_PASSWORD_FILE=$OUT/imap-password
ACCTFLOW_MAILTEST_FLAGS="--smtp-host $HOST --smtp-port 587 --smtp-user $SMTP_USER --smtp-ca $OUT/ca.crt --imap-host $HOST --imap-port 993 --imap-ca $OUT/ca.crt --imap-mailboxes $(echo $READ_BOXES | tr ' ' ,) --ops-email cloud-ops@acctflow.localhost --support-desk-email support-desk@acctflow.localhost"
export ACCTFLOW_SMTP_PASSWORD_FILE ACCTFLOW_IMAP_PASSWORD_FILE ACCTFLOW_MAILTEST_FLAGS
EOF

cat <<EOF

Postfix (submission 587, STARTTLS + SASL required) and Dovecot (IMAPS 993) are running for $HOST.
  private CA:            $OUT/ca.crt   (trusted by nothing but what you give it to)
  acctflow's SMTP login: $SMTP_USER, password in $OUT/smtp-password
  mailboxes acctflow reads (password in $OUT/imap-password):
    $(echo $READ_BOXES)
  other mailboxes (password in $OUT/user-password):
    $(echo $OTHER_BOXES)
  logs: /var/log/postfix.log, /var/log/dovecot.log

Run acctflow against them:
  . $OUT/acctflow.env
  acctflow serve \$ACCTFLOW_MAILTEST_FLAGS

Read a reseller's mail (the CA is private, so name it):
  curl --cacert $OUT/ca.crt -u "dana.whitfield@fabrikam.example:\$(cat $OUT/user-password)" 'imaps://$HOST/INBOX;UID=1'
EOF
