/* The bundled demo catalogue, linked into the binary so that `techmart demo`
 * works wherever the binary is (a user's clone has no ../shared). */
    .section .rodata
    .global tm_demo_institutions
    .global tm_demo_institutions_end
    .global tm_demo_technologies
    .global tm_demo_technologies_end
tm_demo_institutions:
    .incbin "data/demo/institutions.jsonl"
tm_demo_institutions_end:
tm_demo_technologies:
    .incbin "data/demo/technologies.jsonl"
tm_demo_technologies_end:
    .section .note.GNU-stack,"",@progbits
