package submit

import "strings"

// DefaultPython is the interpreter used when Launch.Python is empty.
const DefaultPython = "python3"

// Launch describes a Python training job: SCRIPT run by Python directly, or by
// torchrun (as `python -m torch.distributed.run`, so the torchrun of that very
// interpreter is used) when Torchrun is not nil.
type Launch struct {
	Python   string   // interpreter; "" means DefaultPython
	Script   string   // the training script
	Args     []string // the script's arguments, passed untouched
	Torchrun *Torchrun
}

// Torchrun holds torchrun's launcher options; empty strings are left out so
// torchrun's own defaults apply. Values are passed as given (torchrun checks
// them), e.g. NNodes "2" or "1:4", NProcPerNode "4" or "gpu".
type Torchrun struct {
	NProcPerNode, NNodes, NodeRank string
	MasterAddr, MasterPort         string
	RdzvBackend, RdzvEndpoint      string
	RdzvID                         string
	Standalone                     bool
	MaxRestarts                    string
	Extra                          []string // more launcher arguments, placed before the script
}

// Used reports whether any torchrun option is set.
func (t *Torchrun) Used() bool {
	if t == nil {
		return false
	}
	return t.NProcPerNode != "" || t.NNodes != "" || t.NodeRank != "" || t.MasterAddr != "" ||
		t.MasterPort != "" || t.RdzvBackend != "" || t.RdzvEndpoint != "" || t.RdzvID != "" ||
		t.Standalone || t.MaxRestarts != "" || len(t.Extra) > 0
}

// Argv returns the job's command line:
//
//	PYTHON SCRIPT ARGS…
//	PYTHON -m torch.distributed.run [--nproc_per_node N] [--nnodes N] … [EXTRA…] SCRIPT ARGS…
//
// torchrun options use the underscore spellings, which torch 1.13 and 2.x
// both accept. Everything after SCRIPT is the script's (Python and torchrun
// stop parsing options at the script), so ARGS go through untouched, "--" and
// option-like words included. A script name that starts with "-" is prefixed
// with "./" so it cannot be read as an option.
func (l Launch) Argv() []string {
	python := l.Python
	if python == "" {
		python = DefaultPython
	}
	script := l.Script
	if strings.HasPrefix(script, "-") {
		script = "./" + script
	}
	argv := []string{python}
	if t := l.Torchrun; t != nil {
		argv = append(argv, "-m", "torch.distributed.run")
		for _, o := range []struct{ flag, value string }{
			{"--nproc_per_node", t.NProcPerNode},
			{"--nnodes", t.NNodes},
			{"--node_rank", t.NodeRank},
			{"--master_addr", t.MasterAddr},
			{"--master_port", t.MasterPort},
			{"--rdzv_backend", t.RdzvBackend},
			{"--rdzv_endpoint", t.RdzvEndpoint},
			{"--rdzv_id", t.RdzvID},
			{"--max_restarts", t.MaxRestarts},
		} {
			if o.value != "" {
				argv = append(argv, o.flag, o.value)
			}
		}
		if t.Standalone {
			argv = append(argv, "--standalone")
		}
		argv = append(argv, t.Extra...)
	}
	argv = append(argv, script)
	return append(argv, l.Args...)
}
