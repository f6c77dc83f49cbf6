<?php
// perfvec workload (php): word and bigram counts in associative arrays,
// preg_replace, sorting, a Mandelbrot set and string functions.
// Usage: php -n arrays.php TEXT
if ($argc != 2) { fwrite(STDERR, "usage: php -n arrays.php TEXT\n"); exit(2); }
$text = strtolower(file_get_contents($argv[1]));
$words = preg_split('/[^a-z]+/', $text, -1, PREG_SPLIT_NO_EMPTY);
$count = [];
$pairs = [];
$prev = '';
foreach ($words as $w) {
    $count[$w] = ($count[$w] ?? 0) + 1;
    $pair = $prev . ' ' . $w;
    $pairs[$pair] = ($pairs[$pair] ?? 0) + 1;
    $prev = $w;
}
arsort($count);
arsort($pairs);
echo implode(',', array_slice(array_keys($count), 0, 5)), "\n";
echo count($pairs), "\n";

$vowels = preg_replace('/([aeiou])([a-z])/', '$2$1', substr($text, 0, 400000));
echo crc32($vowels), "\n";

$rows = 0;
for ($y = 0; $y < 160; $y++) {
    for ($x = 0; $x < 240; $x++) {
        $cr = -2.0 + 3.0 * $x / 240;
        $ci = -1.2 + 2.4 * $y / 160;
        $zr = 0.0; $zi = 0.0; $k = 0;
        while ($k < 80 && $zr * $zr + $zi * $zi < 4.0) {
            $t = $zr * $zr - $zi * $zi + $cr;
            $zi = 2.0 * $zr * $zi + $ci;
            $zr = $t;
            $k++;
        }
        $rows += $k;
    }
}
echo $rows, "\n";

mt_srand(7);
$keys = [];
for ($i = 0; $i < 150000; $i++) $keys[] = mt_rand(0, 999999);
usort($keys, fn($a, $b) => $a <=> $b);
echo count(array_unique($keys)), "\n";

$acc = 0;
foreach (array_slice($words, 0, 60000) as $i => $w) {
    $acc += levenshtein($w, $words[($i * 7) % count($words)]) + strlen(ucfirst(strrev($w)));
}
echo $acc, "\n";
