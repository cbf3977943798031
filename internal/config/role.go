package config

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// The name's 512-character limit is checked by length: a counted repeat
// would make the expression slow to compile at every start.
var roleARN = regexp.MustCompile(`^arn:(aws|aws-us-gov|aws-cn):iam::[0-9]{12}:role/[\w+=,.@/-]+$`)

// IsRoleARN reports whether s has the shape arn:PARTITION:iam::ACCOUNT:role/NAME
// with a known partition and a 12-digit account.
func IsRoleARN(s string) bool {
	_, name, _ := strings.Cut(s, ":role/")
	return len(name) <= 512 && roleARN.MatchString(s)
}

// ARNPartition returns the partition field of an ARN, or "".
func ARNPartition(arn string) string {
	parts := strings.SplitN(arn, ":", 3)
	if len(parts) < 3 || parts[0] != "arn" {
		return ""
	}
	return parts[1]
}

// ResolveRole picks the role to assume: flagRole when set, else the role
// mapped to project when project is set, else the profile's Role. Aliases
// are expanded to ARNs. It returns "" when none of them chooses a role.
func (p *Profile) ResolveRole(flagRole, project string) (string, error) {
	switch {
	case flagRole != "":
		return p.expandRole(flagRole)
	case project != "":
		ref, ok := p.Projects[project]
		if !ok {
			return "", fmt.Errorf("resolve role: project %q is not in profile %q (%s); use a known project or add it under projects in the config",
				project, p.Name, known("known projects", p.Projects))
		}
		return p.expandRole(ref)
	case p.Role != "":
		return p.expandRole(p.Role)
	}
	return "", nil
}

// expandRole turns an ARN or alias into an ARN.
func (p *Profile) expandRole(ref string) (string, error) {
	arn, err := p.lookupRole(ref)
	if err != nil {
		return "", fmt.Errorf("resolve role: %w", err)
	}
	return arn, nil
}

// lookupRole returns the ARN ref names, or an error saying what is wrong
// with ref and how to fix it.
func (p *Profile) lookupRole(ref string) (string, error) {
	arn := ref
	if !strings.HasPrefix(ref, "arn:") {
		target, ok := p.RoleAliases[ref]
		if !ok {
			return "", fmt.Errorf("%q is neither a role ARN nor a role alias (%s); use arn:aws:iam::123456789012:role/NAME or add it under role_aliases",
				ref, known("known aliases", p.RoleAliases))
		}
		arn = target
	}
	if !IsRoleARN(arn) {
		if arn != ref {
			return "", fmt.Errorf("alias %q points to %q, which is not a role ARN; fix role_aliases.%s to arn:PARTITION:iam::ACCOUNT:role/NAME", ref, arn, ref)
		}
		return "", fmt.Errorf("%q is not a role ARN; use arn:PARTITION:iam::ACCOUNT:role/NAME, e.g. arn:aws:iam::123456789012:role/Train", arn)
	}
	if part := p.partition(); Audience(part) != "" && ARNPartition(arn) != part {
		return "", fmt.Errorf("%q is in partition %s but the profile uses %s; use a role of partition %s or fix region/partition",
			arn, ARNPartition(arn), part, part)
	}
	return arn, nil
}

// partition returns Partition, or the one derived from Region when empty.
func (p *Profile) partition() string {
	if p.Partition != "" {
		return p.Partition
	}
	region := p.Region
	if region == "" {
		region = DefaultRegion
	}
	return PartitionForRegion(region)
}

// known lists the sorted keys of m for a message, "none configured" when empty.
func known(label string, m map[string]string) string {
	if len(m) == 0 {
		return label + ": none configured"
	}
	return label + ": " + strings.Join(slices.Sorted(maps.Keys(m)), ", ")
}
