# perfvec workload (ruby): word runs counted by sorting, a prime sieve, an
# n-body simulation with Struct objects and a string-building pass.
# Usage: ruby textsim.rb TEXT
# No String- or Symbol-keyed Hash: Ruby seeds its hash function from
# /dev/urandom, so hash-table probing would differ from run to run; sorting
# and arrays keep the executed instructions the same every time.
abort "usage: ruby textsim.rb TEXT" unless ARGV.size == 1

words = File.read(ARGV[0], 600_000).downcase.scan(/[a-z]+/)
runs = []
previous = nil
n = 0
words.sort.each do |w|
  if w == previous
    n += 1
  else
    runs << [previous, n] if previous
    previous = w
    n = 1
  end
end
runs << [previous, n]
runs.sort_by { |w, c| [-c, w] }.first(5).each { |w, c| puts "#{w} #{c}" }

limit = 1_000_000
sieve = Array.new(limit + 1, true)
sieve[0] = sieve[1] = false
i = 2
while i * i <= limit
  if sieve[i]
    (i * i).step(limit, i) { |j| sieve[j] = false }
  end
  i += 1
end
puts "primes #{sieve.count(true)}"

Body = Struct.new(:x, :y, :z, :vx, :vy, :vz, :m)
rng = Random.new(42)
bodies = Array.new(32) { Body.new(rng.rand, rng.rand, rng.rand, 0.0, 0.0, 0.0, 0.5 + rng.rand) }
dt = 0.001
100.times do
  bodies.each do |a|
    ax = ay = az = 0.0
    bodies.each do |b|
      next if a.equal?(b)
      dx = b.x - a.x
      dy = b.y - a.y
      dz = b.z - a.z
      d2 = dx * dx + dy * dy + dz * dz + 0.01
      f = b.m / (d2 * Math.sqrt(d2))
      ax += f * dx
      ay += f * dy
      az += f * dz
    end
    a.vx += ax * dt
    a.vy += ay * dt
    a.vz += az * dt
  end
  bodies.each do |a|
    a.x += a.vx * dt
    a.y += a.vy * dt
    a.z += a.vz * dt
  end
end
puts format("energy-ish %.9f", bodies.sum { |b| b.m * (b.vx**2 + b.vy**2 + b.vz**2) })

out = +""
words.each_slice(7) { |slice| out << slice.map(&:capitalize).reverse.join("-") << "\n" }
puts "built #{out.bytesize}"
