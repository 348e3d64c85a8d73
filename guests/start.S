/* Multiboot v1 entry for the test guests: set a stack, call guest_main(magic, info). */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003 /* page-align modules, want memory info */

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.text
	.code32
	.globl _start
_start:
	cli
	mov $stack_top, %esp
	/* Our own flat GDT: the loader's may be anywhere, and interrupts reload CS from it. */
	lgdt gdt_desc
	ljmp $0x08, $1f
1:	mov $0x10, %cx
	mov %cx, %ds
	mov %cx, %es
	mov %cx, %fs
	mov %cx, %gs
	mov %cx, %ss
	push %ebx
	push %eax
	call guest_main
	/* guest_main returned: report failure through the debug-exit port. */
	mov $1, %al
	out %al, $0xf4
1:	hlt
	jmp 1b

/* Any exception the guest did not expect: report and exit. */
	.globl exception_entry
exception_entry:
	call guest_exception
1:	hlt
	jmp 1b

	.section .rodata
	.align 8
	.globl gdt
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff /* 0x08: 32-bit code, flat */
	.quad 0x00cf92000000ffff /* 0x10: data, flat */
	.quad 0x00af9a000000ffff /* 0x18: 64-bit code (long-mode guest) */
gdt_end:
	.globl gdt_desc
gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt

	.bss
	.align 16
	.space 16384
stack_top:
