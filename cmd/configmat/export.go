package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/template"
)

const exportSynopsis = "export --asset A --environment E [--format dotenv|json|yaml|shell] [--template FILE] [--fallback-file F]"

// cmdExport prints the resolved configuration in a format, or rendered
// through a Go text/template ("Client commands" in the contract).
func cmdExport(ctx context.Context, e env, args []string) error {
	var asset, environment, format, templateFile, fallback string
	fs := newFlags(e, "export", exportSynopsis)
	fs.StringVar(&asset, "asset", "", "slug of the asset")
	fs.StringVar(&environment, "environment", "", "environment to read, e.g. prod")
	fs.StringVar(&format, "format", formatDotenv, "output format: "+strings.Join(exportFormats, ", "))
	fs.StringVar(&templateFile, "template", "", "render this Go text/template file instead, with .Config, .Asset, .Environment and .Version")
	fs.StringVar(&fallback, "fallback-file", "", "keep the last configuration read in this encrypted file (mode 0600) and use it when the server cannot be reached")
	if err := parseFlags(fs, args, map[string]*string{"asset": &asset, "environment": &environment}); err != nil {
		return err
	}
	var tmpl *template.Template
	if templateFile != "" {
		if flagSet(fs, "format") {
			return &exitError{code: 2, err: errors.New("--format and --template exclude each other")}
		}
		var err error
		if tmpl, err = readTemplate(templateFile); err != nil {
			return &exitError{code: 2, err: err}
		}
	} else if !slices.Contains(exportFormats, format) {
		return &exitError{code: 2, err: fmt.Errorf("--format must be one of %s, got %q", strings.Join(exportFormats, ", "), format)}
	}
	_, cfg, err := firstRead(ctx, e, fallback, asset, environment)
	if err != nil {
		return err
	}
	var out []byte
	if tmpl != nil {
		out, err = renderTemplate(tmpl, cfg)
	} else {
		out, err = render(format, cfg)
	}
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	_, err = e.stdout.Write(out)
	return err
}

// readTemplate reads and parses a template file. The file is read once,
// whole, so that a FIFO or a process substitution (<(...)) works.
func readTemplate(path string) (*template.Template, error) {
	text, err := os.ReadFile(path) // #nosec G304 -- the template file the user named
	if err != nil {
		return nil, fmt.Errorf("--template: %w", err)
	}
	t, err := parseTemplate(path, text)
	if err != nil {
		return nil, fmt.Errorf("--template: %w", err)
	}
	return t, nil
}

// flagSet says whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
