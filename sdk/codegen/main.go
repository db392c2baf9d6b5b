// Command vmcp-sdkgen writes the typed SDKs of the vmcp package from its schema, with the code
// generators of github.com/pulumi/pulumi/pkg/v3 (the version the CLI here is built from).
//
//	vmcp-sdkgen SCHEMA.json OUTDIR    writes OUTDIR/nodejs and OUTDIR/go (each replaced whole)
//
// scripts/pulumi-engine builds it (`build codegen`); `make sdk` runs it on sdk/schema.json.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime/debug"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

const tool = "vmcp-sdkgen"

// noLoader refuses every package reference: the vmcp schema depends on no other package.
type noLoader struct{}

var errNoDeps = errors.New("the vmcp schema must not reference other packages")

func (noLoader) LoadPackage(string, *semver.Version) (*schema.Package, error) { return nil, errNoDeps }
func (noLoader) LoadPackageV2(context.Context, *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, errNoDeps
}
func (noLoader) LoadPackageReference(string, *semver.Version) (schema.PackageReference, error) {
	return nil, errNoDeps
}
func (noLoader) LoadPackageReferenceV2(context.Context, *schema.PackageDescriptor) (schema.PackageReference, error) {
	return nil, errNoDeps
}

// bind reads and validates the schema; each generator gets its own bound copy (they annotate it).
func bind(path string) (*schema.Package, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	pkg, diags, err := schema.BindSpec(spec, noLoader{}, schema.ValidationOptions{})
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s: %s", path, diags.Error())
	}
	return pkg, nil
}

func write(dir string, files map[string][]byte) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	for name, content := range files {
		file := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(file, content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// goMod makes sdk/go a module (path: the schema's importBasePath minus the package) on the
// sdk/v3 this generator is built with, so a program can require it through a replace directive.
func goMod(importBasePath string) []byte {
	sdk := "v3.274.1"
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "github.com/pulumi/pulumi/sdk/v3" {
				sdk = dep.Version
			}
		}
	}
	module := path.Dir(importBasePath)
	return []byte("module " + module + "\n\ngo 1.25\n\nrequire github.com/pulumi/pulumi/sdk/v3 " + sdk + "\n")
}

func run(schemaPath, out string) error {
	pkg, err := bind(schemaPath)
	if err != nil {
		return err
	}
	files, err := nodejs.GeneratePackage(tool, pkg, nil, nil, false, noLoader{})
	if err != nil {
		return fmt.Errorf("nodejs: %w", err)
	}
	if err := write(filepath.Join(out, "nodejs"), files); err != nil {
		return err
	}
	if pkg, err = bind(schemaPath); err != nil {
		return err
	}
	if files, err = gogen.GeneratePackage(tool, pkg, nil); err != nil {
		return fmt.Errorf("go: %w", err)
	}
	info, ok := pkg.Language["go"].(gogen.GoPackageInfo)
	if !ok || info.ImportBasePath == "" {
		return errors.New("go: the schema names no language.go.importBasePath")
	}
	files["go.mod"] = goMod(info.ImportBasePath)
	return write(filepath.Join(out, "go"), files)
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: vmcp-sdkgen SCHEMA.json OUTDIR")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "vmcp-sdkgen:", err)
		os.Exit(1)
	}
}
