// Package deploy_test checks the deployment files: the Kubernetes manifests
// decode strictly into the Kubernetes API types and fit together, the
// systemd unit passes systemd-analyze, the Prometheus rules pass promtool,
// and every dnssync command line in them is accepted by the real binary.
// Tools that are missing skip their test with a message, unless
// DNSSYNC_REQUIRE_TOOLS=1 (set by CI) makes that a failure.
package deploy_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	msg := fmt.Sprintf("%s is not installed (Debian: see .ci/run); skipping", name)
	if os.Getenv("DNSSYNC_REQUIRE_TOOLS") == "1" {
		t.Fatal(msg + " — DNSSYNC_REQUIRE_TOOLS=1")
	}
	t.Skip(msg)
	return ""
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// dnssync builds the binary once for the package's tests.
func dnssync(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dnssync-deploy-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "dnssync")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/dnssync").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// checkFlags runs `dnssync SUBCOMMAND --help` and fails for every --flag of
// args the command does not know.
func checkFlags(t *testing.T, where string, args []string) {
	t.Helper()
	if len(args) == 0 {
		t.Fatalf("%s: no dnssync command", where)
	}
	out, err := exec.Command(dnssync(t), args[0], "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("%s: dnssync %s --help: %v\n%s", where, args[0], err, out)
	}
	for _, a := range args[1:] {
		if !strings.HasPrefix(a, "--") {
			continue
		}
		name, _, _ := strings.Cut(a, "=")
		if !regexp.MustCompile(`(?m)^\s+(-\w, )?` + regexp.QuoteMeta(name) + `\b`).Match(out) {
			t.Errorf("%s: dnssync %s has no flag %s", where, args[0], name)
		}
	}
}

// docs splits a multi-document YAML file.
func docs(data []byte) [][]byte {
	var out [][]byte
	for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1) {
		if strings.TrimSpace(stripComments(d)) != "" {
			out = append(out, []byte(d))
		}
	}
	return out
}

func stripComments(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// manifests holds the decoded Kubernetes objects of deploy/kubernetes.
type manifests struct {
	namespaces      []corev1.Namespace
	serviceAccounts []corev1.ServiceAccount
	configMaps      []corev1.ConfigMap
	secrets         []corev1.Secret
	pvcs            []corev1.PersistentVolumeClaim
	deployments     []appsv1.Deployment
	podMonitors     []monitoringv1.PodMonitor
}

type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Namespace  string   `json:"namespace"`
	Resources  []string `json:"resources"`
}

// loadManifests decodes every resource the kustomization lists, strictly:
// an unknown or misspelt field, a duplicate key or a wrong type fails.
func loadManifests(t *testing.T) (*manifests, kustomization) {
	t.Helper()
	dir := "kubernetes"
	var k kustomization
	data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, &k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	for _, f := range files {
		if b := filepath.Base(f); b != "kustomization.yaml" && !slices.Contains(k.Resources, b) {
			t.Errorf("%s is not listed in kustomization.yaml", b)
		}
	}
	m := &manifests{}
	for _, r := range k.Resources {
		data, err := os.ReadFile(filepath.Join(dir, r))
		if err != nil {
			t.Fatal(err)
		}
		for i, d := range docs(data) {
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal(d, &tm); err != nil {
				t.Fatalf("%s #%d: %v", r, i+1, err)
			}
			var obj any
			switch tm.APIVersion + " " + tm.Kind {
			case "v1 Namespace":
				m.namespaces = append(m.namespaces, corev1.Namespace{})
				obj = &m.namespaces[len(m.namespaces)-1]
			case "v1 ServiceAccount":
				m.serviceAccounts = append(m.serviceAccounts, corev1.ServiceAccount{})
				obj = &m.serviceAccounts[len(m.serviceAccounts)-1]
			case "v1 ConfigMap":
				m.configMaps = append(m.configMaps, corev1.ConfigMap{})
				obj = &m.configMaps[len(m.configMaps)-1]
			case "v1 Secret":
				m.secrets = append(m.secrets, corev1.Secret{})
				obj = &m.secrets[len(m.secrets)-1]
			case "v1 PersistentVolumeClaim":
				m.pvcs = append(m.pvcs, corev1.PersistentVolumeClaim{})
				obj = &m.pvcs[len(m.pvcs)-1]
			case "apps/v1 Deployment":
				m.deployments = append(m.deployments, appsv1.Deployment{})
				obj = &m.deployments[len(m.deployments)-1]
			case "monitoring.coreos.com/v1 PodMonitor":
				m.podMonitors = append(m.podMonitors, monitoringv1.PodMonitor{})
				obj = &m.podMonitors[len(m.podMonitors)-1]
			default:
				t.Fatalf("%s #%d: unexpected %s %s", r, i+1, tm.APIVersion, tm.Kind)
			}
			if err := yaml.UnmarshalStrict(d, obj); err != nil {
				t.Errorf("%s #%d (%s): %v", r, i+1, tm.Kind, err)
			}
		}
	}
	return m, k
}

func TestKubernetesManifests(t *testing.T) {
	m, k := loadManifests(t)
	if len(m.deployments) != 1 || len(m.podMonitors) != 1 || len(m.serviceAccounts) != 1 || len(m.pvcs) != 1 {
		t.Fatalf("want one Deployment, PodMonitor, ServiceAccount and PVC; got %d, %d, %d, %d",
			len(m.deployments), len(m.podMonitors), len(m.serviceAccounts), len(m.pvcs))
	}
	d := m.deployments[0]
	spec := d.Spec.Template.Spec
	has := func(kind, name string) bool {
		switch kind {
		case "Secret":
			return slices.ContainsFunc(m.secrets, func(s corev1.Secret) bool { return s.Name == name })
		case "ConfigMap":
			return slices.ContainsFunc(m.configMaps, func(c corev1.ConfigMap) bool { return c.Name == name })
		}
		return false
	}
	objects := []metav1.ObjectMeta{d.ObjectMeta, m.podMonitors[0].ObjectMeta, m.serviceAccounts[0].ObjectMeta, m.pvcs[0].ObjectMeta}
	for _, s := range m.secrets {
		objects = append(objects, s.ObjectMeta)
	}
	for _, c := range m.configMaps {
		objects = append(objects, c.ObjectMeta)
	}
	for _, o := range objects {
		if o.Namespace != k.Namespace {
			t.Errorf("%s is in namespace %q, the kustomization's is %q", o.Name, o.Namespace, k.Namespace)
		}
	}

	// One writer per state directory, and a pod that replaces the old one
	// only after it stopped.
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 || d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("replicas %v, strategy %q: want 1 and Recreate", d.Spec.Replicas, d.Spec.Strategy.Type)
	}
	if spec.ServiceAccountName != m.serviceAccounts[0].Name {
		t.Errorf("serviceAccountName %q, want %q", spec.ServiceAccountName, m.serviceAccounts[0].Name)
	}
	if sc := spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Error("the pod may run as root")
	}
	volumes := map[string]corev1.Volume{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = v
	}
	if v := volumes["state"]; v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != m.pvcs[0].Name {
		t.Errorf("state volume %+v does not use the PVC %q", v, m.pvcs[0].Name)
	}
	var dn *corev1.Container
	gitSync := 0
	for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
		sc := c.SecurityContext
		if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.ReadOnlyRootFilesystem == nil ||
			!*sc.ReadOnlyRootFilesystem || sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
			t.Errorf("container %s is not hardened: %+v", c.Name, sc)
		}
		for _, vm := range c.VolumeMounts {
			if _, ok := volumes[vm.Name]; !ok {
				t.Errorf("container %s mounts unknown volume %q", c.Name, vm.Name)
			}
		}
		for _, ef := range c.EnvFrom {
			switch {
			case ef.SecretRef != nil && !has("Secret", ef.SecretRef.Name):
				t.Errorf("container %s: no Secret %q", c.Name, ef.SecretRef.Name)
			case ef.ConfigMapRef != nil && !has("ConfigMap", ef.ConfigMapRef.Name):
				t.Errorf("container %s: no ConfigMap %q", c.Name, ef.ConfigMapRef.Name)
			}
		}
		if strings.Contains(c.Image, "git-sync") {
			gitSync++
			if !slices.Contains(c.Args, "--link=current") || !slices.Contains(c.Args, "--root=/git") {
				t.Errorf("git-sync container %s: args %q", c.Name, c.Args)
			}
		}
		if c.Name == "dnssync" {
			dn = &c
		}
	}
	if gitSync != 2 {
		t.Errorf("%d git-sync containers, want the first checkout and the sidecar", gitSync)
	}
	if dn == nil {
		t.Fatal("no dnssync container")
	}
	checkFlags(t, "deployment.yaml", dn.Args)
	mounts := map[string]string{}
	for _, vm := range dn.VolumeMounts {
		mounts[vm.Name] = vm.MountPath
	}
	if !slices.Contains(dn.Args, "--config="+mounts["git"]+"/current/dnssync.yaml") {
		t.Errorf("dnssync args %q do not read the config from git-sync's link under %s", dn.Args, mounts["git"])
	}
	stateEnv := ""
	for _, e := range dn.Env {
		if e.Name == "DNSSYNC_STATE_DIR" {
			stateEnv = e.Value
		}
	}
	if stateEnv == "" || stateEnv != mounts["state"] {
		t.Errorf("DNSSYNC_STATE_DIR %q is not the state volume's mount %q", stateEnv, mounts["state"])
	}
	ports := map[string]int32{}
	for _, p := range dn.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if !slices.Contains(dn.Args, fmt.Sprintf("--addr=0.0.0.0:%d", ports["http"])) {
		t.Errorf("dnssync does not listen on the http port %d: %q", ports["http"], dn.Args)
	}
	for _, p := range []struct {
		probe *corev1.Probe
		path  string
	}{{dn.LivenessProbe, "/healthz"}, {dn.ReadinessProbe, "/readyz"}} {
		if p.probe == nil || p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path || ports[p.probe.HTTPGet.Port.String()] == 0 {
			t.Errorf("probe on %s missing or not on a named container port: %+v", p.path, p.probe)
		}
	}
	// The pod gets time to finish or journal work in flight after SIGTERM.
	grace := 30 * time.Second
	for _, a := range dn.Args {
		if v, ok := strings.CutPrefix(a, "--grace="); ok {
			grace, _ = time.ParseDuration(v)
		}
	}
	if tg := spec.TerminationGracePeriodSeconds; tg == nil || time.Duration(*tg)*time.Second <= grace {
		t.Errorf("terminationGracePeriodSeconds %v not above --grace %s", tg, grace)
	}

	pm := m.podMonitors[0]
	for k, v := range pm.Spec.Selector.MatchLabels {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("PodMonitor selects %s=%s, which the pod does not carry", k, v)
		}
	}
	if len(pm.Spec.PodMetricsEndpoints) != 1 || pm.Spec.PodMetricsEndpoints[0].Port == nil ||
		ports[*pm.Spec.PodMetricsEndpoints[0].Port] == 0 || pm.Spec.PodMetricsEndpoints[0].Path != "/metrics" {
		t.Errorf("PodMonitor endpoints %+v do not scrape /metrics on a container port", pm.Spec.PodMetricsEndpoints)
	}
}

// TestStrictDecodingCatchesMistakes: the check would notice a misspelt
// field, so a manifest that passes has none.
func TestStrictDecodingCatchesMistakes(t *testing.T) {
	bad := []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replica: 1\n")
	if err := yaml.UnmarshalStrict(bad, &appsv1.Deployment{}); err == nil {
		t.Error("a misspelt field decoded")
	}
}

func TestSystemdUnit(t *testing.T) {
	analyze := needTool(t, "systemd-analyze")
	unit, err := os.ReadFile("systemd/dnssync.service")
	if err != nil {
		t.Fatal(err)
	}
	exec1 := regexp.MustCompile(`(?m)^ExecStart=(\S+) (.*)$`).FindSubmatch(unit)
	if exec1 == nil {
		t.Fatal("no ExecStart")
	}
	args := strings.Fields(string(exec1[2]))
	// --flag value pairs: only the names are checked.
	checkFlags(t, "dnssync.service", args)
	// verify needs the binary at ExecStart's path; use the one just built.
	dir := t.TempDir()
	patched := bytes.ReplaceAll(unit, exec1[1], []byte(dnssync(t)))
	file := filepath.Join(dir, "dnssync.service")
	if err := os.WriteFile(file, patched, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", file).CombinedOutput()
	// verify exits 0 after warnings such as an unknown key: any output is
	// a finding.
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	// The threshold is in tenths of the printed exposure level: 20 is 2.0
	// on systemd's scale of 0 (safe) to 10 (exposed).
	out, err = exec.Command(analyze, "security", "--offline=true", "--threshold=20", file).CombinedOutput()
	if err != nil {
		t.Errorf("systemd-analyze security: exposure above 2.0 (%v)\n%s", err, out)
	}
	if m := regexp.MustCompile(`Overall exposure level for \S+: (\S+)`).FindSubmatch(out); m != nil {
		t.Logf("systemd-analyze security: exposure %s", m[1])
	}
}

func TestPrometheusRules(t *testing.T) {
	promtool := needTool(t, "promtool")
	for _, args := range [][]string{
		{"check", "rules", "dnssync-rules.yaml"},
		{"test", "rules", "dnssync-rules.test.yaml"},
	} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = "prometheus"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
