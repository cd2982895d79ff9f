package main

import "flag"

// parseInterleavedFlags parses fs from args, allowing flags after positional
// arguments ("PATH --json"), and returns the positional arguments. A lone
// "--" ends flag parsing.
func parseInterleavedFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
