package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// keepArgOrder are the commands whose arguments after the container ID
// belong to the process they run, so flags there are not sprout's.
var keepArgOrder = map[string]bool{"exec": true, "ps": true}

// reorderArgs moves a command's flags given after its positional arguments
// in front of them: runc (urfave/cli v1) accepts `sprout kill ID -a` and
// `update ID --memory 1m`, and urfave/cli v2 stops at the first argument.
func reorderArgs(app *cli.App, args []string) []string {
	i := 1
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "--" {
		if takesValue(app.Flags, args[i]) {
			i++
		}
		i++
	}
	if i >= len(args) {
		return args
	}
	cmd := app.Command(args[i])
	if cmd == nil || keepArgOrder[cmd.Name] {
		return args
	}
	var flags, positional []string
	rest := args[i+1:]
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		if a == "--" {
			positional = append(positional, rest[j:]...)
			break
		}
		if !isFlag(cmd.Flags, a) {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		if takesValue(cmd.Flags, a) && j+1 < len(rest) {
			j++
			flags = append(flags, rest[j])
		}
	}
	out := append([]string{}, args[:i+1]...)
	out = append(out, flags...)
	return append(out, positional...)
}

// lookupFlag finds the flag that arg (-x, --xx or --xx=v) names.
func lookupFlag(flags []cli.Flag, arg string) cli.Flag {
	name := strings.TrimLeft(arg, "-")
	if name == "" || name == arg {
		return nil
	}
	name, _, _ = strings.Cut(name, "=")
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

// isFlag is true for the command's own flags and help: anything else that
// starts with a dash, such as -9 or -1, is an argument.
func isFlag(flags []cli.Flag, arg string) bool {
	return lookupFlag(flags, arg) != nil || arg == "-h" || arg == "--help"
}

// takesValue tells whether a flag given as arg is followed by its value.
func takesValue(flags []cli.Flag, arg string) bool {
	f := lookupFlag(flags, arg)
	if f == nil || strings.Contains(arg, "=") {
		return false
	}
	_, isBool := f.(*cli.BoolFlag)
	return !isBool
}
