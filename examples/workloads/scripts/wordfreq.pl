#!/usr/bin/perl
# perfvec workload (perl): word and bigram frequencies of a text, a regular
# expression pass and a sorted report. Usage: perl wordfreq.pl TEXT
use strict;
use warnings;

my ($path) = @ARGV or die "usage: perl wordfreq.pl TEXT\n";
open(my $in, '<', $path) or die "wordfreq.pl: $path: $!\n";
my (%words, %bigrams, %lengths);
my ($previous, $sentences, $numbers) = ('', 0, 0);
while (my $line = <$in>) {
    $sentences += () = $line =~ /[.!?]/g;
    $numbers += () = $line =~ /\d+/g;
    for my $word (split /[^A-Za-z]+/, lc $line) {
        next if $word eq '';
        $words{$word}++;
        $lengths{length $word}++;
        $bigrams{"$previous $word"}++ if $previous ne '';
        $previous = $word;
    }
}
close($in);
my @top = (sort { $words{$b} <=> $words{$a} || $a cmp $b } keys %words)[0 .. 19];
printf "%-12s %d\n", $_, $words{$_} for @top;
my @pairs = (sort { $bigrams{$b} <=> $bigrams{$a} || $a cmp $b } keys %bigrams)[0 .. 9];
printf "%-24s %d\n", $_, $bigrams{$_} for @pairs;
printf "length %2d: %d\n", $_, $lengths{$_} for sort { $a <=> $b } keys %lengths;
print "sentences $sentences, numbers $numbers, distinct words ", scalar(keys %words), "\n";
