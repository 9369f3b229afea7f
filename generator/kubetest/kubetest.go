package kubetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// EnvAssets names the environment variable that holds the directory with
// the etcd and kube-apiserver binaries (the output of hack/kube-apiserver.sh).
const EnvAssets = "AIMESH_KUBE_ASSETS"

// startTimeout bounds a start-up when the caller's context has no deadline.
const startTimeout = 2 * time.Minute

// Server is a running etcd + kube-apiserver pair.
type Server struct {
	// Config reaches the API server as a cluster admin (bearer token in
	// group system:masters, TLS verified against the server's own CA).
	// Copy it with rest.CopyConfig before changing it.
	Config *rest.Config

	dir   string // temp root: etcd data, cert dir, keys, token file, logs
	etcd  *proc
	api   *proc
	token string

	stopOnce sync.Once
	stopErr  error
}

// AssetsDir returns the directory named by AIMESH_KUBE_ASSETS when it holds
// executable etcd and kube-apiserver binaries.
func AssetsDir() (dir string, ok bool) {
	dir = os.Getenv(EnvAssets)
	return dir, assetsProblem(dir) == ""
}

// assetsProblem says why dir cannot serve as the assets directory, or "".
func assetsProblem(dir string) string {
	if dir == "" {
		return "no directory given"
	}
	for _, name := range []string{"etcd", "kube-apiserver"} {
		p := filepath.Join(dir, name)
		fi, err := os.Stat(p)
		switch {
		case err != nil:
			return err.Error()
		case fi.IsDir() || fi.Mode().Perm()&0o111 == 0:
			return p + " is not an executable file"
		}
	}
	return ""
}

// Start starts etcd and kube-apiserver from assetsDir and waits until the
// API server is ready and the "default" namespace exists. ctx bounds the
// start-up only (2 minutes when it has no deadline); the processes live
// until Stop. Both processes write their output to logw (when not nil) and
// to log files whose tail is quoted in start-up errors. A start-up that
// loses a race for a free port is retried with new ports.
func Start(ctx context.Context, assetsDir string, logw io.Writer) (*Server, error) {
	if p := assetsProblem(assetsDir); p != "" {
		return nil, fmt.Errorf("kubetest: assets dir %q: %s", assetsDir, p)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, startTimeout)
		defer cancel()
	}
	if logw != nil {
		logw = &lockedWriter{w: logw}
	}
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		var s *Server
		s, err = start(ctx, assetsDir, logw)
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, errPortInUse) || ctx.Err() != nil {
			break
		}
	}
	return nil, err
}

var errPortInUse = errors.New("port already in use")

func start(ctx context.Context, assetsDir string, logw io.Writer) (s *Server, err error) {
	began := time.Now()
	removeStaleDirs()
	dir, err := os.MkdirTemp("", tempPrefix)
	if err != nil {
		return nil, err
	}
	s = &Server{dir: dir}
	defer func() {
		if err != nil {
			_ = s.Stop()
		}
	}()

	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdClient := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	etcdPeer := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	host := "https://127.0.0.1:" + strconv.Itoa(ports[2])

	s.etcd, err = startProc(filepath.Join(assetsDir, "etcd"), filepath.Join(dir, "etcd.log"), logw,
		"--name=kubetest",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdClient,
		"--advertise-client-urls="+etcdClient,
		"--listen-peer-urls="+etcdPeer,
		"--initial-advertise-peer-urls="+etcdPeer,
		"--initial-cluster=kubetest="+etcdPeer,
		"--initial-cluster-state=new",
		"--logger=zap",
		"--log-level=warn",
	)
	if err != nil {
		return nil, err
	}
	if err := s.waitHTTP(ctx, s.etcd, http.DefaultClient, etcdClient+"/health", "etcd"); err != nil {
		return nil, err
	}

	saKey, saPub, err := serviceAccountKeys()
	if err != nil {
		return nil, err
	}
	s.token, err = randomToken()
	if err != nil {
		return nil, err
	}
	certDir := filepath.Join(dir, "certs")
	files := map[string][]byte{
		ownerFile:    []byte(strconv.Itoa(os.Getpid())),
		"sa.key":     saKey,
		"sa.pub":     saPub,
		"tokens.csv": []byte(s.token + `,admin,admin-uid,"system:masters"` + "\n"),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return nil, err
		}
	}
	if err := os.Mkdir(certDir, 0o700); err != nil {
		return nil, err
	}

	s.api, err = startProc(filepath.Join(assetsDir, "kube-apiserver"), filepath.Join(dir, "kube-apiserver.log"), logw,
		"--etcd-servers="+etcdClient,
		"--cert-dir="+certDir,
		"--secure-port="+strconv.Itoa(ports[2]),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		// Without it the server wants a default route to publish its
		// endpoint and refuses to start on a loopback-only machine.
		"--endpoint-reconciler-type=none",
		"--service-cluster-ip-range=10.0.0.0/24",
		"--service-account-key-file="+filepath.Join(dir, "sa.pub"),
		"--service-account-signing-key-file="+filepath.Join(dir, "sa.key"),
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--token-auth-file="+filepath.Join(dir, "tokens.csv"),
		"--authorization-mode=RBAC",
		"--allow-privileged=true",
		// No controller-manager creates the "default" service account, so
		// this admission plugin would reject every Pod (as envtest does).
		"--disable-admission-plugins=ServiceAccount",
	)
	if err != nil {
		return nil, err
	}

	// The server writes its self-signed serving certificate (with its CA)
	// into the cert dir before it starts serving.
	caFile := filepath.Join(certDir, "apiserver.crt")
	var ca []byte
	if err := s.poll(ctx, s.api, "kube-apiserver certificate", func() (bool, error) {
		data, rerr := os.ReadFile(caFile)
		ca = data
		return rerr == nil && bytes.Contains(data, []byte("-----END CERTIFICATE-----")), nil
	}); err != nil {
		return nil, err
	}
	s.Config = &rest.Config{
		Host:            host,
		BearerToken:     s.token,
		TLSClientConfig: rest.TLSClientConfig{CAData: ca},
		QPS:             200,
		Burst:           400,
	}
	client, err := rest.HTTPClientFor(s.Config)
	if err != nil {
		return nil, err
	}
	if err := s.waitHTTP(ctx, s.api, client, host+"/readyz", "kube-apiserver /readyz"); err != nil {
		return nil, err
	}
	// The "default" namespace is created by a post-start hook shortly
	// after readiness; tests may well write into it.
	if err := s.waitHTTP(ctx, s.api, client, host+"/api/v1/namespaces/default", `namespace "default"`); err != nil {
		return nil, err
	}
	if logw != nil {
		fmt.Fprintf(logw, "kubetest: etcd %s, kube-apiserver %s ready in %s\n", etcdClient, host, time.Since(began).Round(time.Millisecond))
	}
	return s, nil
}

// tempPrefix names the temp dirs of servers; ownerFile in them holds the
// PID of the test binary that started the server.
const (
	tempPrefix = "aimesh-kubetest-"
	ownerFile  = "owner.pid"
)

// removeStaleDirs removes the temp dirs (≈ 120 MB each, mostly etcd's
// preallocated WAL) left by test binaries that died without Stop, e.g. on
// a panic: their processes are gone (SIGKILLed with the binary), their
// files are not.
func removeStaleDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), tempPrefix+"*"))
	for _, d := range dirs {
		data, err := os.ReadFile(filepath.Join(d, ownerFile))
		if err != nil {
			continue // not ours, or still being set up
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
		if err != nil || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		_ = os.RemoveAll(d)
	}
}

// Dir is the server's temporary root (etcd data, certificates, logs);
// Stop removes it.
func (s *Server) Dir() string { return s.dir }

// Stop kills both processes (their whole process groups) and removes the
// temp dirs. It is safe to call more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		var errs []error
		for _, p := range []*proc{s.api, s.etcd} { // API server first: it holds etcd connections
			if p != nil {
				p.kill()
			}
		}
		if s.dir != "" {
			errs = append(errs, os.RemoveAll(s.dir))
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}

// Kubeconfig returns a kubeconfig (YAML) for this server with one context,
// "kubetest", as the admin user; write it to a file for CLI tests that
// take --kubeconfig.
func (s *Server) Kubeconfig() ([]byte, error) {
	if s.Config == nil {
		return nil, errors.New("kubetest: server not started")
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["kubetest"] = &clientcmdapi.Cluster{
		Server:                   s.Config.Host,
		CertificateAuthorityData: s.Config.CAData,
	}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: s.Config.BearerToken}
	cfg.Contexts["kubetest"] = &clientcmdapi.Context{Cluster: "kubetest", AuthInfo: "admin", Namespace: "default"}
	cfg.CurrentContext = "kubetest"
	return clientcmd.Write(*cfg)
}

// waitHTTP polls url until it answers 200.
func (s *Server) waitHTTP(ctx context.Context, p *proc, client *http.Client, url, what string) error {
	return s.poll(ctx, p, what, func() (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return false, nil
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
}

// poll calls cond every 100ms until it holds, p exits, or ctx ends.
// Failures quote the tail of p's log.
func (s *Server) poll(ctx context.Context, p *proc, what string, cond func() (bool, error)) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := cond()
		if err != nil {
			return fmt.Errorf("kubetest: waiting for %s: %w", what, err)
		}
		if ok {
			return nil
		}
		select {
		case <-p.done:
			tail := p.tail()
			err := fmt.Errorf("kubetest: %s exited (%v) while waiting for %s; log tail (%s):\n%s", p.name, p.err, what, p.logPath, tail)
			if strings.Contains(tail, "address already in use") {
				err = fmt.Errorf("%w: %w", errPortInUse, err)
			}
			return err
		case <-ctx.Done():
			return fmt.Errorf("kubetest: waiting for %s: %w; %s log tail (%s):\n%s", what, ctx.Err(), p.name, p.logPath, p.tail())
		case <-tick.C:
		}
	}
}

// proc is one child process in its own process group.
type proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	log     *os.File
	done    chan struct{} // closed when the process has exited
	err     error         // exit status, valid after done
}

func startProc(path, logPath string, logw io.Writer, args ...string) (*proc, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if logw != nil {
		w := io.MultiWriter(f, logw)
		cmd.Stdout, cmd.Stderr = w, w
	}
	cmd.Env = os.Environ()
	// Own process group (killed as a whole) and, on Linux, SIGKILL when
	// the test binary dies, so that a panicking test leaks no servers.
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("kubetest: %w", err)
	}
	p := &proc{name: filepath.Base(path), cmd: cmd, logPath: logPath, log: f, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		_ = f.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	killGroup(p.cmd.Process)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
	}
}

// tail returns the last 40 lines of the process log.
func (p *proc) tail() string {
	data, err := os.ReadFile(p.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	return strings.Join(lines, "\n")
}

// freePorts returns n distinct free TCP ports on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("kubetest: free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// serviceAccountKeys returns an RSA private key (PKCS#1 PEM) and its public
// key (PKIX PEM) for signing and verifying service-account tokens.
func serviceAccountKeys() (key, pub []byte, err error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		return nil, nil, err
	}
	key = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	pub = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	return key, pub, nil
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// lockedWriter serialises the writes of both processes into one writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// The shared server of a test binary whose TestMain calls Main.
var shared struct {
	enabled bool // set by Main
	once    sync.Once
	server  *Server
	err     error
}

// Main runs the tests of a package with one API server shared by all of
// them (started on the first RequireServer call, stopped after the last
// test). Use it as:
//
//	func TestMain(m *testing.M) { kubetest.Main(m) }
//
// Tests sharing a server must not depend on each other's objects: use
// dry-runs or unique namespaces.
func Main(m *testing.M) {
	shared.enabled = true
	code := m.Run()
	if shared.server != nil {
		if err := shared.server.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "kubetest: stop:", err)
		}
	}
	os.Exit(code)
}

// RequireAssets returns the assets directory from AIMESH_KUBE_ASSETS for
// tests that call Start themselves. When the assets are missing it skips t,
// or fails it when CI=true: the CI must never silently skip.
func RequireAssets(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(EnvAssets)
	if p := assetsProblem(dir); p != "" {
		if dir == "" {
			p = EnvAssets + " is not set"
		} else {
			p = EnvAssets + "=" + dir + ": " + p
		}
		msg := "kubetest: no Kubernetes API server (" + p + `); run: export ` + EnvAssets + `="$(hack/kube-apiserver.sh)"`
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatal(msg + " (CI=true: not skipping)")
		}
		t.Skip(msg)
	}
	return dir
}

// RequireServer returns a running API server for t. When the assets are
// missing it skips or fails t as RequireAssets does. With Main in TestMain
// the server is shared by the whole test binary; otherwise every call
// starts a new server (a few seconds) that t.Cleanup stops.
func RequireServer(t testing.TB) *Server {
	t.Helper()
	dir := RequireAssets(t)
	if shared.enabled {
		shared.once.Do(func() {
			shared.server, shared.err = Start(context.Background(), dir, nil)
		})
		if shared.err != nil {
			t.Fatal(shared.err)
		}
		return shared.server
	}
	s, err := Start(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("kubetest: stop: %v", err)
		}
	})
	return s
}
