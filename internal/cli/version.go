package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Version is vaultchat's version. Release builds may set it with
// -ldflags "-X github.com/vaultchat/vaultchat/internal/cli.Version=v1.2.3";
// otherwise the main module's version from the build info is used: the
// tag for "go install …@version", a pseudo-version built from the
// commit for "go build" in a clone.
var Version = ""

// versionLine is what --version prints: the version, then what the build
// info says about the source it was built from.
func versionLine() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = &debug.BuildInfo{GoVersion: runtime.Version()}
	}
	return formatVersion(bi, Version)
}

// formatVersion writes the version line for the build info bi; override,
// when set, replaces the module version.
//
// "go build" in a clone stamps the commit (vcs.revision), its time and
// whether the tree had changes (vcs.modified), shown as "+dirty". "go run"
// (and -buildvcs=false) stamps none of it and the module version is
// "(devel)": the line says so, rather than inventing a version.
func formatVersion(bi *debug.BuildInfo, override string) string {
	version := bi.Main.Version
	if override != "" {
		version = override
	}
	if version == "" {
		version = "(devel)"
	}
	vcs := map[string]string{}
	for _, s := range bi.Settings {
		if strings.HasPrefix(s.Key, "vcs") {
			vcs[s.Key] = s.Value
		}
	}
	var details []string
	if rev := vcs["vcs.revision"]; rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if vcs["vcs.modified"] == "true" {
			rev += "+dirty"
		}
		details = append(details, "commit "+rev)
		if t := vcs["vcs.time"]; t != "" {
			details = append(details, t)
		}
	} else if version == "(devel)" {
		details = append(details, `no commit recorded: "go run", -buildvcs=false and git worktrees record none; "go build" in a clone does`)
	}
	details = append(details, strings.TrimSpace(bi.GoVersion+" "+runtime.GOOS+"/"+runtime.GOARCH))
	return fmt.Sprintf("vaultchat %s (%s)", version, strings.Join(details, ", "))
}
