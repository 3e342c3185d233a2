#!/bin/sh
# Makes the TLS material of docker-compose.yml into /certs (the "certs" volume) once: a CA, and a
# server certificate for the three NATS nodes signed by it. The jobtally services verify the
# servers against ca.pem (NATS_TLS_CA). Kept across restarts; delete the volume to renew.
set -eu
cd /certs
if [ -s server.pem ] && [ -s ca.pem ]; then echo "certificates exist"; exit 0; fi
openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=jobtally compose NATS CA" -keyout ca-key.pem -out ca.pem
printf 'subjectAltName=DNS:nats-1,DNS:nats-2,DNS:nats-3,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' > server.ext
openssl req -newkey rsa:2048 -nodes -subj "/CN=nats" -keyout server-key.pem -out server.csr
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 825 -extfile server.ext -out server.pem
rm -f server.csr server.ext ca-key.pem ca.srl
chmod 644 ca.pem server.pem
chmod 600 server-key.pem
echo "certificates made"
