// int_matrix.c - integer matrix multiply (naive, transposed, blocked), matrix power, determinant by Bareiss elimination.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)
#define N 40

static int32_t A[N][N], B[N][N], C1[N][N], C2[N][N], C3[N][N], BT[N][N];

static uint32_t checksum(int32_t m[N][N])
{
    uint32_t h = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            h = h * 2654435761u + (uint32_t)m[i][j];
    return h;
}

static void mat_mul2(int64_t r[2][2], int64_t a[2][2], int64_t b[2][2], int64_t mod)
{
    int64_t t[2][2];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            t[i][j] = (a[i][0] * b[0][j] + a[i][1] * b[1][j]) % mod;
    memcpy(r, t, sizeof t);
}

/* determinant of a small integer matrix, exact (Bareiss fraction-free elimination) */
static int64_t det(int64_t m[5][5], int n)
{
    int64_t prev = 1;
    int sign = 1;
    for (int k = 0; k < n - 1; k++) {
        if (m[k][k] == 0) {
            int s = k + 1;
            while (s < n && m[s][k] == 0)
                s++;
            if (s == n)
                return 0;
            for (int j = 0; j < n; j++) {
                int64_t t = m[k][j];
                m[k][j] = m[s][j];
                m[s][j] = t;
            }
            sign = -sign;
        }
        for (int i = k + 1; i < n; i++)
            for (int j = k + 1; j < n; j++)
                m[i][j] = (m[i][j] * m[k][k] - m[i][k] * m[k][j]) / prev;
        prev = m[k][k];
    }
    return sign * m[n - 1][n - 1];
}

int main(void)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = (i * 7 + j * 13) % 23 - 11;
            B[i][j] = (i * i + 3 * j) % 17 - 8;
        }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            int32_t s = 0;
            for (int k = 0; k < N; k++)
                s += A[i][k] * B[k][j];
            C1[i][j] = s;
            BT[j][i] = B[i][j];
        }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            int32_t s = 0;
            for (int k = 0; k < N; k++)
                s += A[i][k] * BT[j][k];
            C2[i][j] = s;
        }
    for (int ii = 0; ii < N; ii += 8)
        for (int kk = 0; kk < N; kk += 8)
            for (int jj = 0; jj < N; jj += 8)
                for (int i = ii; i < ii + 8; i++)
                    for (int k = kk; k < kk + 8; k++)
                        for (int j = jj; j < jj + 8; j++)
                            C3[i][j] += A[i][k] * B[k][j];
    CHECK(memcmp(C1, C2, sizeof C1) == 0, 1);
    CHECK(memcmp(C1, C3, sizeof C1) == 0, 2);
    int64_t trace = 0;
    for (int i = 0; i < N; i++)
        trace += C1[i][i];
    printf("%dx%d product: trace %lld, C[0][0] %d, C[%d][%d] %d, checksum %08x\n",
           N, N, (long long)trace, C1[0][0], N - 1, N - 1, C1[N - 1][N - 1], checksum(C1));

    int64_t r[2][2] = { { 1, 0 }, { 0, 1 } }, f[2][2] = { { 1, 1 }, { 1, 0 } };
    uint32_t e = 1000000;
    const int64_t mod = 1000000007;
    while (e) {
        if (e & 1)
            mat_mul2(r, r, f, mod);
        mat_mul2(f, f, f, mod);
        e >>= 1;
    }
    printf("fib(1000000) mod 1e9+7 = %lld\n", (long long)r[0][1]);
    CHECK(r[0][1] == 918091266, 3);

    int64_t m[5][5] = { { 2, -1, 0, 3, 1 }, { 4, 1, -2, 0, 5 }, { -3, 2, 7, 1, 0 },
                        { 1, 0, 1, -4, 2 }, { 0, 3, -1, 2, 6 } };
    int64_t d = det(m, 5);
    printf("det = %lld\n", (long long)d);
    int64_t v[5][5] = { { 1, 1, 1, 1, 1 }, { 1, 2, 4, 8, 16 }, { 1, 3, 9, 27, 81 },
                        { 1, 4, 16, 64, 256 }, { 1, 5, 25, 125, 625 } };
    int64_t dv = det(v, 5);
    printf("vandermonde det = %lld\n", (long long)dv);
    CHECK(dv == 288, 4);
    return 0;
}
