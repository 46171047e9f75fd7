package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// A table is what a command prints: named columns of text cells, and the
// typed records behind them for JSON.
type table struct {
	title string
	cols  []string
	rows  [][]string
	json  any
}

// write writes t in the given format.
func (t table) write(w io.Writer, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(t.json)
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write(t.cols)
		cw.WriteAll(t.rows)
		return cw.Error()
	default:
		if t.title != "" {
			if _, err := fmt.Fprintf(w, "%s\n\n", t.title); err != nil {
				return err
			}
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, row := range append([][]string{t.cols}, t.rows...) {
			fmt.Fprintln(tw, strings.TrimRight(strings.Join(row, "\t"), "\t"))
		}
		return tw.Flush()
	}
}

// human formats seconds with a unit that keeps the number short.
func human(s float64) string {
	switch {
	case s < 120:
		return fmt.Sprintf("%.1f s", s)
	case s < 2*3600:
		return fmt.Sprintf("%.1f min", s/60)
	case s < 2*86400:
		return fmt.Sprintf("%.1f h", s/3600)
	default:
		return fmt.Sprintf("%.1f d", s/86400)
	}
}
