#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0
#
# journey.pl: print the numbered "journey" comments of the sources, in
# order, as one readable tour (in the manner of lguest's Documentation).
#
# A journey comment opens with a chapter letter and a number:
#
#	/*R:010 First line of text
#	 * more text
#	 */
#
# or, on one line, /*R:020 text */.  Chapters are read in the order of
# @chapters below; within one, by number.  Usage: journey.pl FILE...
use strict;
use warnings;

my @chapters = (
	[ 'R', 'Rings: vringfd, the ring file descriptor' ],
	[ 'H', 'Host: lg.ko, the hypervisor module' ],
	[ 'L', 'Launcher: lguest, the userspace half' ],
	[ 'N', 'Network: tun_vring, guest rings to the tap' ],
	[ 'G', 'Guest: what the guest sees' ],
);
my %known = map { $_->[0] => 1 } @chapters;
my %stops;
my $errors = 0;

for my $file (@ARGV) {
	open(my $fh, '<', $file) or die "journey: cannot read $file: $!\n";
	my ($key, $start, @text);
	while (my $line = <$fh>) {
		if (!defined $key) {
			next unless $line =~ m{/\*([A-Z]):(\d{3})\s?(.*)$};
			($key, $start) = ("$1:$2", $.);
			my $rest = $3;
			if (!$known{$1}) {
				warn "journey: $file:$.: unknown chapter '$1'\n";
				$errors++;
			}
			if ($rest =~ s{\s*\*/.*$}{}) {
				@text = ($rest);
				add($key, $file, $start, @text);
				$key = undef;
			} else {
				@text = $rest eq '' ? () : ($rest);
			}
			next;
		}
		if ($line =~ m{^\s*\*/}) {
			add($key, $file, $start, @text);
			$key = undef;
			next;
		}
		my $body = $line;
		$body =~ s{^\s*\* ?}{};
		chomp $body;
		push @text, $body;
	}
	close $fh;
	die "journey: $file: comment $key never closes\n" if defined $key;
}

sub add {
	my ($k, $file, $line, @lines) = @_;
	if (exists $stops{$k}) {
		warn "journey: $k appears twice ($stops{$k}{where} and $file:$line)\n";
		$errors++;
	}
	$stops{$k} = { where => "$file:$line", text => join("\n", @lines) };
}

print "The lguest journey\n==================\n\n";
print "Read the sources in this order to learn how the pieces fit.\n";
for my $chapter (@chapters) {
	my ($letter, $title) = @$chapter;
	my @keys = sort grep { /^\Q$letter\E:/ } keys %stops;
	next unless @keys;
	print "\n$title\n", '-' x length($title), "\n";
	for my $k (@keys) {
		print "\n[$k] $stops{$k}{where}\n$stops{$k}{text}\n";
	}
}
exit($errors ? 1 : 0);
