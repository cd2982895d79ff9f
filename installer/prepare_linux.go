//go:build linux

package installer

import (
	"fmt"
	"os"
	"os/user"
)

// Prepare sets the host up for the service: the system user (created with
// useradd when missing), the configuration file (when missing, readable by
// the user's group), and the data dir with its logs folder, owned by the
// user all the way down.
func Prepare(o PrepareOptions) error {
	o.defaults()
	s := o.Spec
	if err := s.Validate("linux"); err != nil {
		return err
	}
	created, err := ensureUser(o, s.User, s.DataDir, func(name string) bool {
		if name == "" {
			return true
		}
		_, err := user.Lookup(name)
		return err == nil
	})
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(o.Log, "created system user %s\n", s.User)
	}
	uid, gid := -1, -1
	if s.User != "" {
		u, err := user.Lookup(s.User)
		if err != nil {
			return fmt.Errorf("installer: look up user %s: %w", s.User, err)
		}
		if uid, err = atoi(u.Uid); err != nil {
			return err
		}
		if gid, err = atoi(u.Gid); err != nil {
			return err
		}
	}
	wrote, err := writeConfigIfMissing(s.ConfigFile, o.DefaultConfig)
	if err != nil {
		return err
	}
	if wrote {
		if gid >= 0 {
			if err := os.Chown(s.ConfigFile, 0, gid); err != nil {
				return fmt.Errorf("installer: chown config: %w", err)
			}
		}
		fmt.Fprintf(o.Log, "wrote default configuration %s\n", s.ConfigFile)
	}
	if err := makeDataDirs(s.DataDir); err != nil {
		return err
	}
	if uid >= 0 {
		n, err := chownTree(s.DataDir, uid, gid, os.Lchown)
		if err != nil {
			return err
		}
		fmt.Fprintf(o.Log, "data dir %s: %d entries owned by %s\n", s.DataDir, n, s.User)
	}
	return nil
}

// AfterInstall finishes what kardianos does not; on Linux the unit holds
// everything, so there is nothing left.
func AfterInstall(ServiceSpec) error { return nil }
