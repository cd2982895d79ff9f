package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"github.com/kardianos/service"

	"github.com/lingshu-edge/lingshu/daemon"
	"github.com/lingshu-edge/lingshu/installer"
)

const serviceUsage = "service install|uninstall|start|stop|restart|status|run [--config FILE]"

// defaultServiceConfigFile is where the installed service reads its
// configuration: /etc/lingshu/lingshu.toml, or %ProgramData%\Lingshu\lingshu.toml.
func defaultServiceConfigFile() string {
	if runtime.GOOS == "windows" {
		return filepath.Join(serviceDataDir(), "lingshu.toml")
	}
	return installer.DefaultLinuxConfigFile
}

// serviceDataDir is the data dir of the installed service when the
// configuration does not name one.
func serviceDataDir() string {
	if runtime.GOOS == "windows" {
		return daemon.DefaultDataDir() // %ProgramData%\Lingshu
	}
	return installer.DefaultLinuxDataDir
}

// controlConfig names the service for the actions that only address it.
func controlConfig() *service.Config {
	return &service.Config{Name: installer.ServiceName, DisplayName: installer.ServiceDisplayName, Description: installer.ServiceDescription}
}

func runService(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "" || args[0][0] == '-' {
		return usageError{"usage: lingshu " + serviceUsage}
	}
	action := args[0]
	fs := flag.NewFlagSet("service "+action, flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "TOML configuration `file` (default "+defaultServiceConfigFile()+")")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("service %s: unexpected argument %q", action, fs.Arg(0))}
	}
	path := *configPath
	if path == "" {
		path = defaultServiceConfigFile()
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("service: config path: %w", err)
	}
	switch action {
	case "install":
		return serviceInstall(abs, stdout)
	case "run":
		return serviceRun(ctx, abs, *configPath != "", stdout, stderr)
	case "uninstall", "start", "stop", "restart", "status":
		return serviceControl(action, stdout)
	}
	return usageError{fmt.Sprintf("service: unknown action %q (want install, uninstall, start, stop, restart, status or run)", action)}
}

// serviceInstall checks the configuration, prepares the host (user, data
// dir, a default config file when there is none) and registers the service.
func serviceInstall(configFile string, stdout io.Writer) error {
	if runtime.GOOS == "linux" && service.ChosenSystem() != nil && service.ChosenSystem().String() != "linux-systemd" {
		return fmt.Errorf("service install: this host's init system is %s; the Lingshu service needs systemd", service.ChosenSystem())
	}
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		return fmt.Errorf("service install: locate executable: %w", err)
	}
	defaults := ""
	var cfg daemon.Config
	if _, statErr := os.Stat(configFile); errors.Is(statErr, os.ErrNotExist) {
		d := daemon.DefaultConfig()
		defaults = installer.DefaultConfigTOML(serviceDataDir(), d.DICOM.Addr, d.DICOM.AETitle, d.HTTP.Addr)
		cfg, err = daemon.LoadConfig("", daemon.Overrides{DataDir: serviceDataDir()}, nil)
	} else {
		cfg, err = daemon.LoadConfig(configFile, daemon.Overrides{}, nil)
	}
	if err != nil {
		return fmt.Errorf("service install: %w (fix it, then install again; `lingshu doctor --config %s` shows each key)", err, configFile)
	}
	spec := serviceSpec(exe, configFile, cfg)
	svcCfg, err := installer.ServiceConfig(spec, runtime.GOOS)
	if err != nil {
		return fmt.Errorf("service install: %w", err)
	}
	if err := installer.Prepare(installer.PrepareOptions{Spec: spec, DefaultConfig: defaults, Log: stdout}); err != nil {
		return fmt.Errorf("service install: %w", err)
	}
	s, err := service.New(noProgram{}, svcCfg)
	if err != nil {
		return fmt.Errorf("service install: %w", err)
	}
	if err := s.Install(); err != nil {
		return fmt.Errorf("service install: %w", err)
	}
	if err := installer.AfterInstall(spec); err != nil {
		return fmt.Errorf("service install: %w", err)
	}
	fmt.Fprintf(stdout, "installed service %s (%s): %s %v\ndata %s; start it with `lingshu service start`, check with `lingshu doctor --config %s`\n",
		installer.ServiceName, s.Platform(), exe, spec.Arguments(), spec.DataDir, configFile)
	return nil
}

// serviceSpec derives the service definition from a resolved config.
func serviceSpec(exe, configFile string, cfg daemon.Config) installer.ServiceSpec {
	spec := installer.ServiceSpec{
		Executable:  exe,
		ConfigFile:  configFile,
		DataDir:     cfg.DataDir,
		StopTimeout: daemon.DefaultStopTimeout,
	}
	if runtime.GOOS == "linux" {
		spec.User = installer.ServiceUser
	}
	for _, addr := range []string{cfg.DICOM.Addr, cfg.HTTP.Addr} {
		if _, port, err := net.SplitHostPort(addr); err == nil {
			if n, err := strconv.Atoi(port); err == nil {
				spec.Ports = append(spec.Ports, n)
			}
		}
	}
	return spec
}

// serviceRun is what the service manager executes: the daemon under
// kardianos, so that systemd's SIGTERM and the SCM's stop request end in a
// bounded, graceful stop. On Unix the wait ends with ctx (main cancels it
// on SIGINT/SIGTERM); on Windows the SCM (or Ctrl-C) ends it. Run by hand,
// it works like `serve`.
func serviceRun(ctx context.Context, configFile string, explicit bool, stdout, stderr io.Writer) error {
	file := configFile
	if _, err := os.Stat(configFile); !explicit && errors.Is(err, os.ErrNotExist) {
		file = "" // no installed config: embedded defaults
	}
	cfg, err := daemon.LoadConfig(file, daemon.Overrides{}, os.LookupEnv)
	if err != nil {
		return err
	}
	interactive := !daemon.RunningUnderServiceManager()
	opts := daemon.ServiceOptions{Interactive: interactive, StopTimeout: daemon.DefaultStopTimeout}
	if interactive {
		opts.Console, opts.LogConsole = stdout, stderr
	}
	prog, err := daemon.NewServiceProgram(cfg, opts)
	if err != nil {
		return err
	}
	svcCfg := controlConfig()
	svcCfg.Option = service.KeyValue{"RunWait": func() { <-ctx.Done() }}
	s, err := service.New(prog, svcCfg)
	if err != nil {
		return fmt.Errorf("service run: %w", err)
	}
	if err := s.Run(); err != nil {
		return fmt.Errorf("service run: %w", err)
	}
	return nil
}

// serviceControl asks the service manager to act on the installed service.
func serviceControl(action string, stdout io.Writer) error {
	s, err := service.New(noProgram{}, controlConfig())
	if err != nil {
		return fmt.Errorf("service %s: %w", action, err)
	}
	switch action {
	case "status":
		st, err := s.Status()
		if errors.Is(err, service.ErrNotInstalled) {
			return fmt.Errorf("service %s is not installed (run `lingshu service install`)", installer.ServiceName)
		}
		if err != nil {
			return fmt.Errorf("service status (%s): %w", s.Platform(), err)
		}
		fmt.Fprintf(stdout, "%s: %s (%s)\n", installer.ServiceName, statusWord(st), s.Platform())
		return nil
	case "uninstall":
		_ = s.Stop() // a running service would keep its ports until reboot
		if err := s.Uninstall(); err != nil {
			return fmt.Errorf("service uninstall: %w", err)
		}
		fmt.Fprintf(stdout, "uninstalled service %s; its data, configuration and user are kept\n", installer.ServiceName)
		return nil
	}
	if err := service.Control(s, action); err != nil {
		return fmt.Errorf("service %s (%s): %w", action, s.Platform(), err)
	}
	fmt.Fprintf(stdout, "%s: %s done\n", installer.ServiceName, action)
	return nil
}

func statusWord(s service.Status) string {
	switch s {
	case service.StatusRunning:
		return "running"
	case service.StatusStopped:
		return "stopped"
	}
	return "unknown"
}

// noProgram stands in for the program when a command only installs or
// controls the service and never runs it.
type noProgram struct{}

func (noProgram) Start(service.Service) error {
	return errors.New("service: control command cannot run the daemon")
}
func (noProgram) Stop(service.Service) error { return nil }
