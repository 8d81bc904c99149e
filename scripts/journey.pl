#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0
#
# journey.pl: print the numbered "journey" comments of the sources, in
# order, as one readable tour (in the manner of lguest's Documentation).
#
# A journey comment (a "stop") opens with a chapter letter and a number:
#
#	/*R:010 First line of text
#	 * more text
#	 */
#
# or, on one line, /*R:020 text */.  Chapters are read in the order of
# @chapters below; within one, by number.
#
# Usage: journey.pl SOURCE... [--refs FILE...]
#
# The tour goes to stdout.  Everything that would spoil it is an error,
# reported on stderr with the exit status 1 (the tour is printed anyway):
#
#  - a stop marker that is not /*X:NNN followed by a space or the end of
#    the line, a stop whose comment never closes, or one closed with ":*/";
#  - a stop whose letter names no chapter, or whose number falls in none
#    of its letter's chapters; a number used twice; a chapter with no stop;
#  - a reference "X:NNN" in a stop's text to a stop that does not exist,
#    and one with a chapter's letter anywhere else in the sources or in the
#    --refs files (Documentation, tests) likewise;
#  - a tour out of order: the first chapter (the preface) must name the
#    first stop of every later chapter, in reading order, and the last stop
#    of every chapter but the last must name the first stop of the next
#    one (its hand-off: "next, ... (H:005)").
use strict;
use warnings;

# Letter, first and last number, title.  A letter may be split over
# several chapters by number, so that stop numbers quoted in
# Documentation/ stay put when the reading order changes: the launcher's
# devices (L:500 on) are read after the host that runs the guest.
my @chapters = (
	[ 'P', 0, 999, 'Preface: what this tour is, and its order' ],
	[ 'L', 0, 499, 'Launcher: lguest loads the guest' ],
	[ 'H', 0, 699, 'Host: lg.ko runs the guest' ],
	[ 'H', 700, 999, 'Many CPUs: local APICs, IPIs and starting a CPU' ],
	[ 'L', 500, 999, 'Devices: the launcher\'s virtio-mmio devices' ],
	[ 'R', 0, 999, 'Rings: the split ring, walked in one place, and vringfd' ],
	[ 'N', 0, 999, 'Network: the guest\'s rings on a tap' ],
	[ 'E', 0, 999, 'Ending: what you have learnt, and where to go next' ],
);
my %letters = map { $_->[0] => 1 } @chapters;
my %stops;
my $errors = 0;

sub error {
	warn "journey: @_\n";
	$errors++;
}

for my $i (0 .. $#chapters) {
	for my $j ($i + 1 .. $#chapters) {
		my ($a, $b) = @chapters[$i, $j];
		die "journey: chapters '$a->[3]' and '$b->[3]' overlap\n"
			if $a->[0] eq $b->[0] && $a->[1] <= $b->[2] &&
			   $b->[1] <= $a->[2];
	}
}

my (@sources, @refs);
my $list = \@sources;
for my $arg (@ARGV) {
	if ($arg eq '--refs') {
		$list = \@refs;
	} else {
		push @$list, $arg;
	}
}

# Every "X:NNN" in a line, as [ key, letter ].
sub references {
	my ($text) = @_;
	my @found;
	push @found, [ "$1:$2", $1 ] while $text =~ /\b([A-Z]):(\d{3})\b/g;
	return @found;
}

# Lines outside stops, checked for references once every stop is known.
my @other;

for my $file (@sources) {
	open(my $fh, '<', $file) or die "journey: cannot read $file: $!\n";
	my ($key, $start, @text);
	while (my $line = <$fh>) {
		chomp $line;
		if (!defined $key) {
			if ($line !~ m{/\*[A-Za-z]:\d}) {
				push @other, [ "$file:$.", $line ];
				next;
			}
			if ($line !~ m{/\*([A-Z]):(\d{3})(?:\s(.*))?$}) {
				error("$file:$.: a stop marker is /*X:NNN then a space or the end of the line");
				next;
			}
			($key, $start) = ("$1:$2", $.);
			my $rest = defined $3 ? $3 : '';
			@text = ();
			if ($rest =~ s{\s*\*/.*$}{}) {
				error("$file:$.: $key closes with ':*/'; close it with ' */'")
					if $rest =~ /:$/;
				push @text, [ $., $rest ];
				add($key, $file, $start, @text);
				$key = undef;
			} elsif ($rest ne '') {
				push @text, [ $., $rest ];
			}
			next;
		}
		my $body = $line;
		my $closes = $body =~ s{\s*\*/.*$}{};
		$body =~ s{^\s*\* ?}{};
		error("$file:$.: $key closes with ':*/'; close it with ' */'")
			if $closes && $body =~ /:$/;
		push @text, [ $., $body ] unless $closes && $body =~ /^\s*$/;
		if ($closes) {
			add($key, $file, $start, @text);
			$key = undef;
		}
	}
	close $fh;
	error("$file:$start: $key never closes") if defined $key;
}

sub add {
	my ($k, $file, $line, @lines) = @_;
	if (exists $stops{$k}) {
		error("$k appears twice ($stops{$k}{where} and $file:$line)");
		return;
	}
	$stops{$k} = {
		where => "$file:$line",
		file => $file,
		lines => [@lines],
		text => join("\n", map { $_->[1] } @lines),
	};
}

# Which chapter each stop is in.
my @in = map { [] } @chapters;
for my $k (sort keys %stops) {
	my ($letter, $n) = split /:/, $k;
	my @fit = grep {
		$chapters[$_][0] eq $letter &&
		$chapters[$_][1] <= $n && $n <= $chapters[$_][2]
	} 0 .. $#chapters;
	if (!$letters{$letter}) {
		error("$stops{$k}{where}: unknown chapter '$letter'");
	} elsif (!@fit) {
		error("$stops{$k}{where}: $k falls in no chapter of '$letter'");
	} else {
		push @{ $in[$fit[0]] }, $k;
	}
}
for my $i (0 .. $#chapters) {
	error("chapter '$chapters[$i][3]' has no stops") unless @{ $in[$i] };
}

# References: in a stop, any letter; elsewhere, only our chapters' letters.
for my $k (sort keys %stops) {
	for my $l (@{ $stops{$k}{lines} }) {
		for my $r (references($l->[1])) {
			error("$stops{$k}{file}:$l->[0]: $k refers to $r->[0], which is no stop")
				unless $stops{$r->[0]};
		}
	}
}
for my $o (@other) {
	for my $r (references($o->[1])) {
		error("$o->[0]: $r->[0] is no stop")
			if $letters{$r->[1]} && !$stops{$r->[0]};
	}
}
for my $file (@refs) {
	open(my $fh, '<', $file) or die "journey: cannot read $file: $!\n";
	while (my $line = <$fh>) {
		for my $r (references($line)) {
			error("$file:$.: $r->[0] is no stop")
				if $letters{$r->[1]} && !$stops{$r->[0]};
		}
	}
	close $fh;
}

# The order: the preface names every chapter's first stop in turn, and
# each chapter's last stop hands the reader on to the next chapter.
my @first = map { @$_ ? $_->[0] : undef } @in;
if (defined $first[0]) {
	my $preface = join("\n", map { $stops{$_}{text} } @{ $in[0] });
	my $at = -1;
	for my $i (1 .. $#chapters) {
		next unless defined $first[$i];
		my $pos = index($preface, $first[$i]);
		if ($pos < 0) {
			error("the preface ($chapters[0][3]) does not name " .
			      "$first[$i], where '$chapters[$i][3]' starts");
		} elsif ($pos < $at) {
			error("the preface names $first[$i] ('$chapters[$i][3]') " .
			      "before the chapter that comes ahead of it");
		}
		$at = $pos if $pos > $at;
	}
}
for my $i (0 .. $#chapters - 1) {
	my ($last, $next) = ($in[$i][-1], $first[$i + 1]);
	next unless defined $last && defined $next;
	error("$stops{$last}{where}: $last ends '$chapters[$i][3]' but " .
	      "does not hand on to $next, where '$chapters[$i + 1][3]' starts")
		unless grep { $_->[0] eq $next } references($stops{$last}{text});
}

print "The lguest journey\n==================\n\n";
print "Read the sources in this order to learn how the pieces fit.\n";
for my $i (0 .. $#chapters) {
	my $title = $chapters[$i][3];
	next unless @{ $in[$i] };
	print "\n$title\n", '-' x length($title), "\n";
	for my $k (@{ $in[$i] }) {
		print "\n[$k] $stops{$k}{where}\n$stops{$k}{text}\n";
	}
}
exit($errors ? 1 : 0);
