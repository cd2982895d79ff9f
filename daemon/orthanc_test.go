package daemon_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/lingshu-edge/lingshu/dicom/phantom"
)

// TestOrthanc_AutoForward plays the hospital's PACS with a real Orthanc:
// storescu sends a study to Orthanc, whose Lua OnStoredInstance forwards
// each instance to lingshu, as a PACS auto-forward rule would.
func TestOrthanc_AutoForward(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Orthanc; skipped with -short")
	}
	requireTool(t, "Orthanc", "storescu")
	files := writePhantom(t, phantom.Options{Modality: "CT", Slices: 20, Seed: 42})
	files = append(files, writePhantom(t, phantom.Options{Modality: "CR", Seed: 43})...)

	d := startDaemon(t, nil)
	_, lport := hostPort(t, d.DICOMAddr().String())
	orthancDICOM, orthancHTTP := startOrthanc(t, lport)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := append([]string{"-aet", "MODALITY", "-aec", "ORTHANC", "127.0.0.1", strconv.Itoa(orthancDICOM)}, files...)
	if out, err := runPeer(ctx, "storescu", args...); err != nil {
		t.Fatalf("storescu to Orthanc failed: %v\n%s", err, out)
	}
	waitForInstances(t, d.Store(), int64(len(files)), 90*time.Second)
	assertStored(t, d.Store(), files)
	if n := orthancInstanceCount(t, orthancHTTP); n != len(files) {
		t.Errorf("Orthanc holds %d instances, want %d", n, len(files))
	}
}

// startOrthanc runs Orthanc on free ports with a Lua rule forwarding every
// received instance to the modality "lingshu" (AE LINGSHU on lingshuPort).
// It returns Orthanc's DICOM and HTTP ports once its REST API answers.
func startOrthanc(t *testing.T, lingshuPort string) (dicomPort, httpPort int) {
	t.Helper()
	dir := t.TempDir()
	dicomPort, httpPort = freePort(t), freePort(t)
	lua := filepath.Join(dir, "forward.lua")
	writeTestFile(t, lua, `function OnStoredInstance(instanceId, tags, metadata, origin)
  if origin["RequestOrigin"] ~= "Lua" then
    SendToModality(instanceId, "lingshu")
  end
end
`)
	port, _ := strconv.Atoi(lingshuPort)
	cfg := map[string]any{
		"Name":                  "lingshu-test",
		"StorageDirectory":      filepath.Join(dir, "db"),
		"IndexDirectory":        filepath.Join(dir, "db"),
		"HttpPort":              httpPort,
		"DicomPort":             dicomPort,
		"DicomAet":              "ORTHANC",
		"RemoteAccessAllowed":   false,
		"AuthenticationEnabled": false,
		"DicomCheckCalledAet":   false,
		"DicomModalities":       map[string]any{"lingshu": []any{"LINGSHU", "127.0.0.1", port}},
		"LuaScripts":            []string{lua},
		"Plugins":               []string{},
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "orthanc.json")
	writeTestFile(t, cfgPath, string(raw))

	cmd := exec.Command("Orthanc", cfgPath)
	cmd.Env = append(os.Environ(), "TCP_NODELAY=1")
	logFile, err := os.Create(filepath.Join(dir, "orthanc.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start Orthanc: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logFile.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logFile.Name()); err == nil {
				t.Logf("Orthanc log:\n%s", b)
			}
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/system", httpPort))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return dicomPort, httpPort
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("Orthanc did not answer on port %d within 30 s", httpPort)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func orthancInstanceCount(t *testing.T, httpPort int) int {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/instances", httpPort))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ids []string
	if err := json.NewDecoder(resp.Body).Decode(&ids); err != nil {
		t.Fatal(err)
	}
	return len(ids)
}

// freePort asks the kernel for a free TCP port. Orthanc cannot be told to
// use port 0, so there is a small window in which another process could
// take it; the tests run on loopback where that does not happen in practice.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
