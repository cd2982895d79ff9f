//go:build !linux && !windows

package installer

import "fmt"

// Prepare writes the configuration file when missing and creates the data
// dir. Service accounts are not managed on this OS: the service runs as
// the user kardianos/service installs it for.
func Prepare(o PrepareOptions) error {
	o.defaults()
	wrote, err := writeConfigIfMissing(o.Spec.ConfigFile, o.DefaultConfig)
	if err != nil {
		return err
	}
	if wrote {
		fmt.Fprintf(o.Log, "wrote default configuration %s\n", o.Spec.ConfigFile)
	}
	return makeDataDirs(o.Spec.DataDir)
}

// AfterInstall has nothing to add on this OS.
func AfterInstall(ServiceSpec) error { return nil }
