package submit

import (
	"slices"
	"testing"
)

func TestLaunchArgv(t *testing.T) {
	args := []string{"--lr", "0.1", "--", "--x", "-m", "y"}
	tr := func(t Torchrun) *Torchrun { return &t }
	tests := []struct {
		name   string
		launch Launch
		want   []string
	}{
		{"python only", Launch{Script: "train.py"}, []string{"python3", "train.py"}},
		{"python with args untouched", Launch{Python: "/opt/py/bin/python", Script: "train.py", Args: args},
			append([]string{"/opt/py/bin/python", "train.py"}, args...)},
		{"script starting with a dash", Launch{Script: "-x.py"}, []string{"python3", "./-x.py"}},
		{"torchrun, no options", Launch{Script: "t.py", Torchrun: &Torchrun{}},
			[]string{"python3", "-m", "torch.distributed.run", "t.py"}},
		{"nproc_per_node", Launch{Script: "t.py", Torchrun: tr(Torchrun{NProcPerNode: "4"})},
			[]string{"python3", "-m", "torch.distributed.run", "--nproc_per_node", "4", "t.py"}},
		{"nnodes", Launch{Script: "t.py", Torchrun: tr(Torchrun{NNodes: "1:4"})},
			[]string{"python3", "-m", "torch.distributed.run", "--nnodes", "1:4", "t.py"}},
		{"node_rank", Launch{Script: "t.py", Torchrun: tr(Torchrun{NodeRank: "1"})},
			[]string{"python3", "-m", "torch.distributed.run", "--node_rank", "1", "t.py"}},
		{"master_addr", Launch{Script: "t.py", Torchrun: tr(Torchrun{MasterAddr: "10.0.0.1"})},
			[]string{"python3", "-m", "torch.distributed.run", "--master_addr", "10.0.0.1", "t.py"}},
		{"master_port", Launch{Script: "t.py", Torchrun: tr(Torchrun{MasterPort: "29500"})},
			[]string{"python3", "-m", "torch.distributed.run", "--master_port", "29500", "t.py"}},
		{"rdzv_backend", Launch{Script: "t.py", Torchrun: tr(Torchrun{RdzvBackend: "c10d"})},
			[]string{"python3", "-m", "torch.distributed.run", "--rdzv_backend", "c10d", "t.py"}},
		{"rdzv_endpoint", Launch{Script: "t.py", Torchrun: tr(Torchrun{RdzvEndpoint: "h:29400"})},
			[]string{"python3", "-m", "torch.distributed.run", "--rdzv_endpoint", "h:29400", "t.py"}},
		{"rdzv_id", Launch{Script: "t.py", Torchrun: tr(Torchrun{RdzvID: "job1"})},
			[]string{"python3", "-m", "torch.distributed.run", "--rdzv_id", "job1", "t.py"}},
		{"standalone", Launch{Script: "t.py", Torchrun: tr(Torchrun{Standalone: true})},
			[]string{"python3", "-m", "torch.distributed.run", "--standalone", "t.py"}},
		{"max_restarts", Launch{Script: "t.py", Torchrun: tr(Torchrun{MaxRestarts: "3"})},
			[]string{"python3", "-m", "torch.distributed.run", "--max_restarts", "3", "t.py"}},
		{"extra", Launch{Script: "t.py", Torchrun: tr(Torchrun{Extra: []string{"--monitor_interval=1", "--no_python"}})},
			[]string{"python3", "-m", "torch.distributed.run", "--monitor_interval=1", "--no_python", "t.py"}},
		{"all, with script args", Launch{Python: "python", Script: "t.py", Args: args, Torchrun: tr(Torchrun{
			NProcPerNode: "2", NNodes: "2", NodeRank: "0", MasterAddr: "a", MasterPort: "1",
			RdzvBackend: "c10d", RdzvEndpoint: "a:2", RdzvID: "i", Standalone: true, MaxRestarts: "0", Extra: []string{"--e"}})},
			append([]string{"python", "-m", "torch.distributed.run", "--nproc_per_node", "2", "--nnodes", "2",
				"--node_rank", "0", "--master_addr", "a", "--master_port", "1", "--rdzv_backend", "c10d",
				"--rdzv_endpoint", "a:2", "--rdzv_id", "i", "--max_restarts", "0", "--standalone", "--e", "t.py"}, args...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.launch.Argv(); !slices.Equal(got, tt.want) {
				t.Errorf("Argv =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestTorchrunUsed(t *testing.T) {
	var none *Torchrun
	if none.Used() || (&Torchrun{}).Used() {
		t.Error("empty options reported as used")
	}
	for _, tr := range []Torchrun{{NProcPerNode: "1"}, {Standalone: true}, {Extra: []string{"--x"}}, {RdzvID: "i"}} {
		if !tr.Used() {
			t.Errorf("%+v reported as unused", tr)
		}
	}
}
