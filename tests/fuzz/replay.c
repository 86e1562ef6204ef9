/* Replays a fuzz target's corpus without libFuzzer, so `make test` runs
 * every corpus file through the target under ASan and UBSan with plain gcc.
 * TM_CORPUS names the directory (set by the Makefile). A crash aborts. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(void)
{
    DIR *d = opendir(TM_CORPUS);
    if (!d) {
        printf("replay %s: cannot open corpus\n0 passed, 1 failed\n", TM_CORPUS);
        return 1;
    }
    int n = 0, bad = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s", TM_CORPUS, e->d_name) >= (int)sizeof path)
            continue;
        FILE *f = fopen(path, "rb");
        if (!f) {
            bad++;
            continue;
        }
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
        size_t got = len > 0 ? fread(buf, 1, (size_t)len, f) : 0;
        fclose(f);
        LLVMFuzzerTestOneInput(buf, got);
        free(buf);
        n++;
    }
    closedir(d);
    printf("replay %s: %d passed, %d failed\n", TM_CORPUS, n, bad);
    return bad ? 1 : 0;
}
