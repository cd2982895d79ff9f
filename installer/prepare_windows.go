//go:build windows

package installer

import (
	"fmt"
	"time"

	"golang.org/x/sys/windows/svc/mgr"
)

// Prepare writes the configuration file when missing and creates the data
// dir. The service runs as LocalSystem, which can write %ProgramData%.
func Prepare(o PrepareOptions) error {
	o.defaults()
	if err := o.Spec.Validate("windows"); err != nil {
		return err
	}
	wrote, err := writeConfigIfMissing(o.Spec.ConfigFile, o.DefaultConfig)
	if err != nil {
		return err
	}
	if wrote {
		fmt.Fprintf(o.Log, "wrote default configuration %s\n", o.Spec.ConfigFile)
	}
	return makeDataDirs(o.Spec.DataDir)
}

// AfterInstall replaces kardianos's single recovery action with three
// restarts (10 s, 30 s, 60 s; the failure count resets after a day) and
// applies them also when the service stops with an error exit code (a
// failed start), not only when the process crashes.
func AfterInstall(s ServiceSpec) error {
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("installer: connect to service manager: %w", err)
	}
	defer m.Disconnect()
	svc, err := m.OpenService(ServiceName)
	if err != nil {
		return fmt.Errorf("installer: open service %s: %w", ServiceName, err)
	}
	defer svc.Close()
	actions := []mgr.RecoveryAction{
		{Type: mgr.ServiceRestart, Delay: s.restartSec()},
		{Type: mgr.ServiceRestart, Delay: 30 * time.Second},
		{Type: mgr.ServiceRestart, Delay: time.Minute},
	}
	if err := svc.SetRecoveryActions(actions, uint32((24 * time.Hour).Seconds())); err != nil {
		return fmt.Errorf("installer: set recovery actions: %w", err)
	}
	if err := svc.SetRecoveryActionsOnNonCrashFailures(true); err != nil {
		return fmt.Errorf("installer: recovery on non-crash failures: %w", err)
	}
	return nil
}
