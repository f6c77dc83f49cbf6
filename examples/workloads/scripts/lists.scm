;; perfvec workload (guile-3.0): list and vector work in Scheme: the corpus's
;; words sorted and counted, a vector sieve, tak and a closure-heavy fold.
;; Usage: guile --no-auto-compile -s lists.scm TEXT
(use-modules (ice-9 textual-ports))

(define (words-of text)
  ;; Lower-case runs of letters, as a list of strings.
  (let loop ((chars (string->list text)) (word '()) (acc '()))
    (cond ((null? chars)
           (reverse (if (null? word) acc (cons (list->string (reverse word)) acc))))
          ((char-alphabetic? (car chars))
           (loop (cdr chars) (cons (char-downcase (car chars)) word) acc))
          ((null? word) (loop (cdr chars) word acc))
          (else (loop (cdr chars) '() (cons (list->string (reverse word)) acc))))))

(define (runs sorted)
  ;; ((word . count) ...) from a sorted list.
  (let loop ((l sorted) (acc '()))
    (cond ((null? l) acc)
          ((and (pair? acc) (string=? (caar acc) (car l)))
           (set-cdr! (car acc) (+ 1 (cdar acc)))
           (loop (cdr l) acc))
          (else (loop (cdr l) (cons (cons (car l) 1) acc))))))

(define text (call-with-input-file (cadr (command-line)) get-string-all))
(define words (words-of (substring text 0 60000)))
(define counted (sort (runs (sort words string<?)) (lambda (a b) (> (cdr a) (cdr b)))))
(display (list-head counted 5)) (newline)

(define (sieve n)
  (let ((v (make-vector (+ n 1) #t)))
    (let loop ((i 2) (count 0))
      (cond ((> i n) count)
            ((vector-ref v i)
             (do ((j (* i i) (+ j i))) ((> j n)) (vector-set! v j #f))
             (loop (+ i 1) (+ count 1)))
            (else (loop (+ i 1) count))))))
(display (sieve 100000)) (newline)

(define (tak x y z)
  (if (not (< y x)) z
      (tak (tak (- x 1) y z) (tak (- y 1) z x) (tak (- z 1) x y))))
(display (tak 16 10 4)) (newline)

(define (compose . fs)
  (if (null? fs) (lambda (x) x)
      (lambda (x) ((car fs) ((apply compose (cdr fs)) x)))))
(define step (compose (lambda (x) (modulo (* x 31) 1000003)) (lambda (x) (+ x 7))))
(display (let loop ((i 0) (x 1)) (if (= i 25000) x (loop (+ i 1) (step x))))) (newline)
