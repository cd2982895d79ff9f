// Package buildinfo reports the version the binary was built as. Release
// builds set it with -ldflags "-X github.com/lingshu-edge/lingshu/internal/buildinfo.version=1.2.3";
// development builds fall back to the module's VCS information.
package buildinfo

import "runtime/debug"

// version is written by the linker and never assigned at run time.
var version = ""

// Version returns the release version, or "dev+<revision>" for a
// development build, or "dev" when nothing is known.
func Version() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "dev+" + s.Value[:12]
		}
	}
	return "dev"
}
