/*
 * The protected-mode part of the bzImage guest, linked at pref_address
 * (1 MiB): the 32-bit entry at +0 is not ours to use (only the 64-bit boot
 * protocol is supported) and reports failure; the 64-bit entry at +0x200 gets
 * rsi = boot_params and calls bz_main(boot_params).
 */
	.section .head, "ax"
	.code32
	.globl startup_32
startup_32:
	mov $1, %al /* entered through the 32-bit protocol: wrong path */
	out %al, $0xf4
1:	hlt
	jmp 1b

	.org 0x200
	.code64
	.globl startup_64
startup_64:
	cli
	lea bz_stack_top(%rip), %rsp
	mov %rsi, %rdi
	lea startup_64(%rip), %rsi /* where we really run: must be load + 0x200 */
	call bz_main
	mov $1, %al
	out %al, $0xf4
2:	hlt
	jmp 2b

	.bss
	.align 16
	.space 16384
bz_stack_top:
