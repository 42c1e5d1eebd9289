package testserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// TLSMaterial is the certificate set generated for a TLS server. Files are
// PEM, in the server's directory.
type TLSMaterial struct {
	// CAPool and CAFile hold the CA that signed the server certificate (and
	// the client certificate, when there is one). CAPEM is the file content.
	CAPool *x509.CertPool
	CAFile string
	CAPEM  []byte

	// ServerCertFile and ServerKeyFile are the server's certificate (valid
	// for 127.0.0.1, ::1 and localhost, unless ServerName says otherwise)
	// and key.
	ServerCertFile string
	ServerKeyFile  string
	// ServerName, when set, is the only name the server certificate is
	// valid for (a TLS sentinel set's material, see [SentinelOptions.TLS]);
	// the harness verifies the server as this name.
	ServerName string

	// ClientCert is a client certificate signed by the CA, set when the
	// server was started with Options.ClientCert; ClientCertFile and
	// ClientKeyFile hold it as PEM.
	ClientCert     *tls.Certificate
	ClientCertFile string
	ClientKeyFile  string

	// UntrustedCAPool and UntrustedCAFile hold a second CA that signed
	// nothing the server trusts or presents: verifying the server against it
	// fails. UntrustedClientCert (set with Options.ClientCert) is a client
	// certificate from that CA, which the server rejects.
	UntrustedCAPool     *x509.CertPool
	UntrustedCAFile     string
	UntrustedClientCert *tls.Certificate
}

// ClientConfig returns a TLS client configuration that trusts the CA,
// presents the client certificate when there is one, and verifies the
// server as serverName (an IP address or "localhost").
func (m *TLSMaterial) ClientConfig(serverName string) *tls.Config {
	cfg := &tls.Config{
		RootCAs:    m.CAPool,
		ServerName: serverName,
		MinVersion: tls.VersionTLS12,
	}
	if m.ClientCert != nil {
		cfg.Certificates = []tls.Certificate{*m.ClientCert}
	}
	return cfg
}

type keyPair struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
	keyPEM  []byte
}

func (kp *keyPair) tlsCertificate() (*tls.Certificate, error) {
	c, err := tls.X509KeyPair(kp.certPEM, kp.keyPEM)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

func (kp *keyPair) write(dir, name string) (certFile, keyFile string, err error) {
	certFile = filepath.Join(dir, name+".crt")
	keyFile = filepath.Join(dir, name+".key")
	if err := os.WriteFile(certFile, kp.certPEM, 0o600); err != nil {
		return "", "", err
	}
	if kp.keyPEM != nil {
		if err := os.WriteFile(keyFile, kp.keyPEM, 0o600); err != nil {
			return "", "", err
		}
	}
	return certFile, keyFile, nil
}

// newKeyPair creates a certificate from tmpl signed by parent (self-signed
// when parent is nil).
func newKeyPair(tmpl *x509.Certificate, parent *keyPair) (*keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	signerCert, signerKey := tmpl, key
	if parent != nil {
		signerCert, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, &key.PublicKey, signerKey)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return &keyPair{
		cert:    cert,
		key:     key,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}, nil
}

func caTemplate(name string) *x509.Certificate {
	return &x509.Certificate{
		Subject:               pkix.Name{CommonName: name, Organization: []string{"testserver"}},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
}

func leafTemplate(name string, usage x509.ExtKeyUsage) *x509.Certificate {
	return &x509.Certificate{
		Subject:     pkix.Name{CommonName: name, Organization: []string{"testserver"}},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{usage},
	}
}

// newTLSMaterial generates a CA, a server certificate, optionally a client
// certificate, and an unrelated CA, and writes them to dir.
func newTLSMaterial(dir string, clientCert bool) (*TLSMaterial, error) {
	m, err := generateTLSMaterial(dir, clientCert)
	if err != nil {
		return nil, fmt.Errorf("testserver: generate TLS certificates: %w", err)
	}
	return m, nil
}

func generateTLSMaterial(dir string, clientCert bool) (*TLSMaterial, error) {
	ca, err := newKeyPair(caTemplate("testserver CA"), nil)
	if err != nil {
		return nil, err
	}
	srvTmpl := leafTemplate("localhost", x509.ExtKeyUsageServerAuth)
	srvTmpl.DNSNames = []string{"localhost"}
	srvTmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	srv, err := newKeyPair(srvTmpl, ca)
	if err != nil {
		return nil, err
	}
	untrusted, err := newKeyPair(caTemplate("testserver untrusted CA"), nil)
	if err != nil {
		return nil, err
	}

	m := &TLSMaterial{CAPool: x509.NewCertPool(), CAPEM: ca.certPEM, UntrustedCAPool: x509.NewCertPool()}
	m.CAPool.AddCert(ca.cert)
	m.UntrustedCAPool.AddCert(untrusted.cert)
	caOnly := &keyPair{certPEM: ca.certPEM}
	if m.CAFile, _, err = caOnly.write(dir, "ca"); err != nil {
		return nil, err
	}
	untrustedOnly := &keyPair{certPEM: untrusted.certPEM}
	if m.UntrustedCAFile, _, err = untrustedOnly.write(dir, "untrusted-ca"); err != nil {
		return nil, err
	}
	if m.ServerCertFile, m.ServerKeyFile, err = srv.write(dir, "server"); err != nil {
		return nil, err
	}
	if !clientCert {
		return m, nil
	}

	cli, err := newKeyPair(leafTemplate("testserver client", x509.ExtKeyUsageClientAuth), ca)
	if err != nil {
		return nil, err
	}
	if m.ClientCert, err = cli.tlsCertificate(); err != nil {
		return nil, err
	}
	if m.ClientCertFile, m.ClientKeyFile, err = cli.write(dir, "client"); err != nil {
		return nil, err
	}
	badCli, err := newKeyPair(leafTemplate("testserver untrusted client", x509.ExtKeyUsageClientAuth), untrusted)
	if err != nil {
		return nil, err
	}
	if m.UntrustedClientCert, err = badCli.tlsCertificate(); err != nil {
		return nil, err
	}
	return m, nil
}

// Host names of the certificates of a TLS sentinel set: each kind of
// server has its own certificate, valid for one name only, so that a
// client verifying one kind as the other fails.
const (
	// SentinelCertName is the only name in the sentinels' certificate.
	SentinelCertName = "localhost"
	// DataCertName is the only name in the data nodes' certificate: the
	// IP address the sentinels report for them.
	DataCertName = "127.0.0.1"
)

// newTLSSetMaterial generates one CA and two server certificates signed
// by it, written to dir: the sentinels' (DNS name SentinelCertName only)
// and the data nodes' (IP address DataCertName only).
func newTLSSetMaterial(dir string) (sentinels, data *TLSMaterial, err error) {
	ca, err := newKeyPair(caTemplate("testserver sentinel set CA"), nil)
	if err != nil {
		return nil, nil, fmt.Errorf("testserver: generate TLS certificates: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	caOnly := &keyPair{certPEM: ca.certPEM}
	caFile, _, err := caOnly.write(dir, "ca")
	if err != nil {
		return nil, nil, err
	}
	leaf := func(name string, tmpl *x509.Certificate) (*TLSMaterial, error) {
		kp, err := newKeyPair(tmpl, ca)
		if err != nil {
			return nil, fmt.Errorf("testserver: generate TLS certificates: %w", err)
		}
		m := &TLSMaterial{CAPool: pool, CAFile: caFile, CAPEM: ca.certPEM, ServerName: tmpl.Subject.CommonName}
		if m.ServerCertFile, m.ServerKeyFile, err = kp.write(dir, name); err != nil {
			return nil, err
		}
		return m, nil
	}
	st := leafTemplate(SentinelCertName, x509.ExtKeyUsageServerAuth)
	st.DNSNames = []string{SentinelCertName}
	if sentinels, err = leaf("sentinel", st); err != nil {
		return nil, nil, err
	}
	dt := leafTemplate(DataCertName, x509.ExtKeyUsageServerAuth)
	dt.IPAddresses = []net.IP{net.ParseIP(DataCertName)}
	if data, err = leaf("data", dt); err != nil {
		return nil, nil, err
	}
	return sentinels, data, nil
}

// serverName is the name the harness verifies a server with material m
// as, host unless m says otherwise.
func (m *TLSMaterial) serverName(host string) string {
	if m.ServerName != "" {
		return m.ServerName
	}
	return host
}
