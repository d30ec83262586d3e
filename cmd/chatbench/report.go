package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"
	"time"
)

// figure is one measured number, with the baseline it is compared with
// (measured in the same run) and the ratio value/baseline.
type figure struct {
	Scenario string   `json:"scenario"`
	DB       string   `json:"db"`
	Name     string   `json:"figure"`
	Unit     string   `json:"unit"`
	Value    float64  `json:"value"`
	Baseline *float64 `json:"baseline,omitempty"`
	// BaselineName says what the baseline is ("bare melody", "INSERT loop").
	BaselineName string   `json:"baseline_name,omitempty"`
	Ratio        *float64 `json:"ratio,omitempty"`
	// Nodes is how many nodes served the figure, with -nodes (0 without).
	Nodes int `json:"nodes,omitempty"`
	// VsOneNode is the figure over the same figure at one node in the
	// same run, for figures measured at more than one node.
	VsOneNode *float64 `json:"vs_one_node,omitempty"`
}

// report is everything one run measured: the JSON output.
type report struct {
	Started  time.Time      `json:"started"`
	Machine  machine        `json:"machine"`
	Target   string         `json:"target"`
	Config   map[string]any `json:"config"`
	Figures  []figure       `json:"figures"`
	Notes    []string       `json:"notes,omitempty"`
	Duration string         `json:"duration"`
}

// withBaseline sets a figure's baseline and ratio.
func (f figure) withBaseline(name string, base float64) figure {
	f.BaselineName = name
	f.Baseline = &base
	if base != 0 {
		r := f.Value / base
		f.Ratio = &r
	}
	return f
}

func num(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 100 || v == float64(int64(v)):
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

// db is the figure's database as printed, with its node count if it has
// one.
func (f figure) db() string {
	if f.Nodes == 0 {
		return f.DB
	}
	return f.DB + ", " + nodeCount(f.Nodes)
}

// vsOneNode is the ratio to one node as printed.
func (f figure) vsOneNode() string {
	if f.VsOneNode == nil {
		return "-"
	}
	return strconv.FormatFloat(*f.VsOneNode, 'f', 2, 64) + "x"
}

// multiNode says whether any figure has a node count, which adds the
// "vs 1 node" column to the tables.
func (r *report) multiNode() bool {
	for _, f := range r.Figures {
		if f.Nodes != 0 {
			return true
		}
	}
	return false
}

// cells returns a figure's value, baseline and ratio as printed.
func (f figure) cells() (value, base, ratio string) {
	unit := ""
	if f.Unit != "" {
		unit = " " + f.Unit
	}
	value = num(f.Value) + unit
	base, ratio = "-", "-"
	if f.Baseline != nil {
		base = num(*f.Baseline) + unit + " (" + f.BaselineName + ")"
	}
	if f.Ratio != nil {
		ratio = strconv.FormatFloat(*f.Ratio, 'f', 2, 64) + "x"
	}
	return value, base, ratio
}

func (r *report) header() string {
	m := r.Machine
	return fmt.Sprintf("chatbench %s: %s, %d cores, %d MB memory, %s %s, load average %s at start; target %s",
		r.Started.Format("2006-01-02 15:04"), m.CPU, m.Cores, m.MemoryMB, m.Go, m.OS, m.LoadAvg, r.Target)
}

// writeText prints the table for a terminal.
func (r *report) writeText(w io.Writer) {
	fmt.Fprintln(w, r.header())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	multi := r.multiNode()
	head := "scenario\tfigure\tdb\trtchat\tbaseline\tratio"
	if multi {
		head += "\tvs 1 node"
	}
	fmt.Fprintln(tw, head)
	for _, f := range r.Figures {
		v, b, ra := f.cells()
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s", f.Scenario, f.Name, f.db(), v, b, ra)
		if multi {
			fmt.Fprintf(tw, "\t%s", f.vsOneNode())
		}
		fmt.Fprintln(tw)
	}
	_ = tw.Flush()
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note:", n)
	}
}

// writeMarkdown prints the table as BENCHMARKS.md holds it.
func (r *report) writeMarkdown(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "Measured %s on %s, %d cores, %d MB memory (%s, %s; load average %s at start); target %s; run took %s.\n\n",
		r.Started.Format("2006-01-02"), m.CPU, m.Cores, m.MemoryMB, m.Go, m.OS, m.LoadAvg, r.Target, r.Duration)
	multi := r.multiNode()
	if multi {
		fmt.Fprintln(w, "| scenario | figure | db | rtchat | baseline | ratio | vs 1 node |")
		fmt.Fprintln(w, "|---|---|---|---:|---:|---:|---:|")
	} else {
		fmt.Fprintln(w, "| scenario | figure | db | rtchat | baseline | ratio |")
		fmt.Fprintln(w, "|---|---|---|---:|---:|---:|")
	}
	for _, f := range r.Figures {
		v, b, ra := f.cells()
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |", f.Scenario, f.Name, f.db(), v, b, ra)
		if multi {
			fmt.Fprintf(w, " %s |", f.vsOneNode())
		}
		fmt.Fprintln(w)
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range r.Notes {
			fmt.Fprintln(w, "-", n)
		}
	}
}

func (r *report) writeJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
