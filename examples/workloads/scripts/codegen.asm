; perfvec workload (nasm): the preprocessor's %rep and %assign generate
; thousands of instructions, and the forward and backward jumps between them
; make the assembler iterate its passes to pick short or near encodings.
; Usage: nasm -f elf64 -O9 -o /dev/null codegen.asm
bits 64
section .text
%assign N 3500
%macro block 1
  %assign k %1
  %assign far (k * 13) % N
  %assign near k / 2
block_%[k]:
    mov eax, k
    lea rbx, [rsi + k * 8 + 16]
    add rcx, [rdi + (k % 97) * 8]
    imul edx, eax, (k * 7) % 1000
    xor r8d, r8d
  %if k % 3 == 0
    cmp rax, rbx
    jne block_%[far]
  %elif k % 3 == 1
    test ecx, ecx
    jz block_%[near]
  %else
    vaddpd ymm0, ymm1, [rdx + k * 32]
  %endif
%endmacro
%assign i 0
%rep N
    block i
%assign i i + 1
%endrep
