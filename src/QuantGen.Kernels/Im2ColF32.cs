// FP32 im2col in the ONNX order, for convolutions whose weights are only known at run time (no packing possible).
namespace QuantGen.Kernels
{
    internal static unsafe class Im2ColF32
    {
        /// <summary>
        /// col[(ci·kh + ky)·kw + kx, oy·ow + ox] = x[ci, oy·sh − pt + ky·dh, ox·sw − pl + kx·dw], 0 where that falls in the
        /// padding; x is [c, ih, iw] (one image, one group), col is [c·kh·kw, oh·ow], ready for col-major GEMM with the weights.
        /// </summary>
        public static void Run(float* x, float* col, int c, int ih, int iw, int oh, int ow, int kh, int kw, int sh, int sw, int pt, int pl, int dh, int dw)
        {
            long ohw = (long)oh * ow;
            float* row = col;
            for (int ci = 0; ci < c; ci++)
            {
                float* plane = x + (long)ci * ih * iw;
                for (int ky = 0; ky < kh; ky++)
                    for (int kx = 0; kx < kw; kx++)
                    {
                        for (int oy = 0; oy < oh; oy++)
                        {
                            float* dst = row + (long)oy * ow;
                            int iy = oy * sh - pt + ky * dh;
                            if ((uint)iy >= (uint)ih)
                            {
                                for (int ox = 0; ox < ow; ox++) dst[ox] = 0;
                                continue;
                            }
                            float* src = plane + (long)iy * iw;
                            int ix = kx * dw - pl;
                            for (int ox = 0; ox < ow; ox++, ix += sw) dst[ox] = (uint)ix < (uint)iw ? src[ix] : 0;
                        }
                        row += ohw;
                    }
            }
        }
    }
}
